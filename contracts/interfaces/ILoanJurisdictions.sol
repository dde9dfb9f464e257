// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Events and errors of the ledger's per-jurisdiction rate caps.
/// @dev ILoanLedger inherits this, so the ledger's ABI carries them (the setter runs in the ledger's
/// module, at the ledger's address).
interface ILoanJurisdictionsEvents {
    /// @dev The legal cap on contract rate + penalty rate for loans registered from now on under
    /// `jurisdiction` (0: none of its own; a subdivision then follows its country, a country the global cap).
    event JurisdictionCapSet(bytes6 indexed jurisdiction, uint16 previousBps, uint16 maxAnnualRateBps);

    /// @dev Not an ISO 3166 code as Jurisdictions.isValid reads it ("CN", "US-CA").
    error LoanLedgerInvalidJurisdiction(bytes6 jurisdiction);
}

/// @title The ledger's per-jurisdiction rate caps (docs/jurisdictions.md).
/// @notice Called at the ledger's address (the ledger delegates these selectors to its module).
interface ILoanJurisdictions is ILoanJurisdictionsEvents {
    /// @notice Sets the legal cap on contract rate + penalty rate for loans registered from now on under
    /// `jurisdiction`; 0 removes it. A loan keeps the cap it was registered under (as its capRoomBps).
    /// @dev May emit a {JurisdictionCapSet} event. Requirements: caller has DEFAULT_ADMIN_ROLE; a
    /// well-formed code; maxAnnualRateBps <= 65,535 (any uint16).
    function setJurisdictionCap(bytes6 jurisdiction, uint16 maxAnnualRateBps) external;

    /// @notice The cap a loan registered now under `jurisdiction` gets: its own, else its country's,
    /// else the global one; and the jurisdiction's own (0 if none).
    function jurisdictionCapOf(bytes6 jurisdiction) external view returns (uint16 effectiveBps, uint16 ownBps);
}
