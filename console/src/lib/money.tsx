/**
 * Amounts in their loan's unit: an ISO currency directly, a token through GET /v1/tokens/{address}
 * (symbol and decimals, fetched once per token and kept for the session). Until the token is known,
 * the amount shows in minor units.
 */
import { useQuery } from "@tanstack/react-query";
import { api, must } from "../api/client";
import { formatAmount, type Unit } from "./format";
import { useI18n } from "./i18n";

export interface SettlementLike {
  token: string | null;
  currency: string | null;
}

export function useUnit(settlement: SettlementLike | undefined): Unit {
  const token = settlement?.token ?? null;
  const info = useQuery({
    queryKey: ["token", token?.toLowerCase()],
    enabled: token !== null,
    staleTime: Infinity,
    queryFn: () => must(api.GET("/v1/tokens/{address}", { params: { path: { address: token! } } })),
  });
  if (settlement?.currency) return { code: settlement.currency };
  return info.data ? { symbol: info.data.symbol, decimals: info.data.decimals } : null;
}

/** An amount, with its exact minor units in the tooltip and data-minor (what tests compare). */
export function Money({ amount, settlement }: { amount: string; settlement: SettlementLike | undefined }) {
  const { lang } = useI18n();
  const unit = useUnit(settlement);
  return (
    <span data-minor={amount} title={unit ? amount : undefined}>
      {formatAmount(amount, unit, lang)}
    </span>
  );
}
