/** Who is who in the demo: indexes into Hardhat's default development accounts. */
export const DEMO_ACCOUNTS = {
  admin: 0,
  lenders: [1, 2, 3],
  collectors: [4, 5, 6, 7, 8],
  auditor: 9,
  keeper: 10,
  /** The API's relayer: pays for collectors' signed actions; assigned to no loan. */
  relayer: 11,
  payers: [12, 13, 14, 15, 16, 17, 18, 19],
  /** The notice dispatcher's recording key: every lender assigns it to its loans (it records sent notices). */
  notifier: 20,
  /** A collection agency lender 1 places loans with, and the agency's own collector. */
  agency: 21,
  agencyCollector: 22,
} as const;
