/** A keyset-paginated list of the API (items, nextCursor) as one growing list of items. */
import { useInfiniteQuery } from "@tanstack/react-query";

export function useKeysetPages<T extends { items: unknown[]; nextCursor: string | null }>(queryKey: readonly unknown[], fetchPage: (cursor: string) => Promise<T>) {
  const query = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = (query.data?.pages.flatMap((p) => p.items) ?? []) as T["items"];
  return { ...query, items, first: query.data?.pages[0] };
}
