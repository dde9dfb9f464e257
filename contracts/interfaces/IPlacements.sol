// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Placements: a lender's loans placed with a collection agency.
/// @notice A placement gives an agency its lender's loans to work for a commission on what it
/// recovers. It is active from `start` to `end` (`start <= block time < end`) unless recalled
/// first; a loan is in at most one placement that has not ended. While a placement is active:
///  - the agency may record actions on its loans and assign its own collectors to them
///    ({assignAgencyCollector}), who may then record actions on those loans only;
///  - a recall ({recallPlacement}) or the end date ends the agency's and its collectors' access at
///    once: {CollectionLog-recordAction} checks the placement at block time, no clean-up needed.
/// Commission is not computed on chain: the recoveries of a placement are the `LoanRepaid` and
/// `LoanSettled` payments of its loans with `paidAt` in [start, min(end, recalledAt)), and the
/// commission is floor(amount x commissionBps / 10,000) per payment (src/domain/agency.ts), so anyone
/// can recompute an agency statement from the events alone.
interface IPlacements {
    /// @dev Two storage words: | lender (160) | start (40) | end (40) | commissionBps (16) |
    /// | agency (160) | recalledAt (40, 0 = not recalled) | loanCount (32) |.
    struct Placement {
        address lender;
        uint40 start;
        uint40 end;
        uint16 commissionBps;
        address agency;
        uint40 recalledAt;
        uint32 loanCount;
    }

    event PlacementCreated(
        uint256 indexed placementId,
        address indexed lender,
        address indexed agency,
        uint16 commissionBps,
        uint64 start,
        uint64 end,
        uint256[] loanIds
    );
    event PlacementRecalled(uint256 indexed placementId, uint64 at);
    event AgencyCollectorAssigned(uint256 indexed placementId, uint256 indexed loanId, address indexed collector);
    event AgencyCollectorUnassigned(uint256 indexed placementId, uint256 indexed loanId, address indexed collector);

    /// @dev No loans, or more than {MAX_PLACEMENT_LOANS}.
    error CollectionLogInvalidPlacementSize(uint256 count, uint256 max);
    /// @dev The agency is zero or the lender itself.
    error CollectionLogInvalidAgency(address agency);
    /// @dev More than 10,000 bps (100% of what is recovered).
    error CollectionLogInvalidCommission(uint16 commissionBps);
    /// @dev start before block time, or end not after start.
    error CollectionLogInvalidPlacementPeriod(uint64 start, uint64 end, uint256 now);
    /// @dev The loan is already in placement `placementId`, which has not ended.
    error CollectionLogLoanPlaced(uint256 loanId, uint256 placementId);
    error CollectionLogUnknownPlacement(uint256 placementId);
    error CollectionLogNotPlacementLender(address account, uint256 placementId);
    error CollectionLogNotAgency(address account, uint256 placementId);
    /// @dev Recalled, ended, or not started yet.
    error CollectionLogPlacementNotActive(uint256 placementId, uint256 now);
    /// @dev Already recalled, or already ended.
    error CollectionLogPlacementOver(uint256 placementId);
    error CollectionLogNotInPlacement(uint256 loanId, uint256 placementId);

    /// @notice Places the caller's loans `loanIds` with `agency` for [start, end) at `commissionBps` of
    /// what is recovered; returns the placement id (from 1).
    /// @dev May emit a {PlacementCreated} event. Requirements: caller is each loan's lender; 1 to
    /// {MAX_PLACEMENT_LOANS} loans, none in a placement that has not ended; agency non-zero and not the
    /// caller; commissionBps <= 10,000; now <= start < end.
    function placeLoans(uint256[] calldata loanIds, address agency, uint16 commissionBps, uint64 start, uint64 end)
        external
        returns (uint256 placementId);

    /// @notice Recalls a placement now: the agency and its collectors lose access at once, and
    /// payments from now on are not the agency's.
    /// @dev May emit a {PlacementRecalled} event. Requirements: caller is the placement's lender;
    /// not recalled and not ended.
    function recallPlacement(uint256 placementId) external;

    /// @notice The agency lets `collector` work `loanIds` of placement `placementId`, while it is active.
    /// @dev May emit {AgencyCollectorAssigned} events. Requirements: caller is the placement's agency;
    /// placement active; each loan in it; collector non-zero and not already assigned there.
    function assignAgencyCollector(uint256 placementId, uint256[] calldata loanIds, address collector) external;

    /// @notice Ends `collector`'s access to `loanId` in placement `placementId`.
    /// @dev May emit an {AgencyCollectorUnassigned} event. Requirements: caller is the placement's
    /// agency or lender; collector assigned to the loan in this placement.
    function unassignAgencyCollector(uint256 placementId, uint256 loanId, address collector) external;

    /// @notice The placement `placementId` (all zero if there is none).
    function placement(uint256 placementId) external view returns (Placement memory);

    /// @notice The number of placements so far; ids run from 1 to this.
    function placementCount() external view returns (uint256);

    /// @notice The loan's latest placement id (0 if never placed); it may have ended.
    function placementOfLoan(uint256 loanId) external view returns (uint256);

    /// @notice Whether `account` may record actions on `loanId` through a placement now: it is the
    /// agency of the loan's active placement, or a collector the agency assigned to the loan in it.
    function mayWorkPlaced(uint256 loanId, address account) external view returns (bool);
}
