// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AutomationCompatibleInterface} from "@chainlink/contracts/src/v0.8/automation/interfaces/AutomationCompatibleInterface.sol";
import {ILoanLedgerTypes} from "./ILoanLedgerTypes.sol";
import {ILoanReliefEvents} from "./ILoanRelief.sol";
import {ILoanJurisdictionsEvents} from "./ILoanJurisdictions.sol";

/// @title LoanLedger: financed loans, their schedules, repayments, delinquency and penalties.
/// @notice Lenders register loans; anyone pays them in their ERC-20; lenders and their servicers
/// record money received off chain; keepers poke loans so reminders, penalty assessments,
/// classification changes and defaults are emitted on time. Rules: docs/ledger-rules.md.
interface ILoanLedger is ILoanReliefEvents, ILoanJurisdictionsEvents, AutomationCompatibleInterface {
    // ---------------------------------------------------------------- events

    /// @dev The admin changed the legal cap on contract rate plus penalty rate.
    event MaxAnnualRateSet(uint16 previousBps, uint16 newBps);
    /// @dev A lender published a new policy; it applies to loans registered from now on.
    event PolicySet(address indexed lender, uint32 indexed policyId, Policy policy);
    /// @dev A lender put a collection strategy in force (its segments, treatments and model live off
    /// chain; `strategyHash` is the SHA-256 of its canonical JSON), alongside its policy in force then.
    event CollectionStrategySet(address indexed lender, uint32 indexed policyId, bytes32 strategyHash);
    /// @dev A lender delegated (or revoked) a servicer for its off-chain repayments.
    event ServicerSet(address indexed lender, address indexed servicer, bool allowed);
    /// @dev A loan was registered with its whole schedule (version 1).
    event LoanRegistered(
        uint256 indexed loanId,
        address indexed lender,
        address indexed borrower,
        bytes32 borrowerRef,
        address token,
        bytes3 currency,
        uint256 principal,
        uint16 contractRateBps,
        int16 utcOffsetMinutes,
        bytes6 jurisdiction,
        uint32 policyId,
        PenaltyTerms terms,
        Installment[] schedule
    );
    /// @dev A repayment was applied: `amount` = `penalty` + `interest` + `principal`.
    /// `cursor` is the oldest unsettled installment afterwards; `offChain` repayments carry the
    /// bank reference hash and the time the money was received (`paidAt`, as attested; the
    /// waterfall ran at max(paidAt, the previous payment's time), see {recordRepayment}).
    event LoanRepaid(
        uint256 indexed loanId,
        address indexed payer,
        uint256 amount,
        uint256 penalty,
        uint256 interest,
        uint256 principal,
        uint16 cursor,
        uint64 paidAt,
        bytes32 bankRef,
        bool offChain,
        bool recovery
    );
    /// @dev The last installment was settled.
    event LoanClosed(uint256 indexed loanId, uint64 closedAt);
    /// @dev Reminder stage `stage` (offset `offsetDays` from `dueDate`) of `installment` came due.
    event ReminderTriggered(
        uint256 indexed loanId,
        uint16 installment,
        uint8 stage,
        int16 offsetDays,
        uint64 dueDate,
        uint32 dpd
    );
    /// @dev Default interest (and late fees) outstanding on the loan changed to `penaltyOutstanding`.
    event PenaltyAssessed(uint256 indexed loanId, uint16 installment, uint256 penaltyOutstanding, uint32 dpd);
    /// @dev The five-category classification changed.
    event ClassificationChanged(uint256 indexed loanId, Classification from, Classification to, uint32 dpd);
    /// @dev The loan went past the policy's defaultAfterDays (emitted once).
    event LoanDefaulted(uint256 indexed loanId, uint16 installment, uint32 dpd);
    /// @dev The lender charged the loan off; it stays open and later payments are recoveries.
    event LoanChargedOff(
        uint256 indexed loanId,
        uint256 outstandingPrincipal,
        uint256 outstandingInterest,
        uint256 penaltyOutstanding,
        uint32 dpd
    );
    /// @dev The lender wrote the loan off; terminal.
    event LoanWrittenOff(
        uint256 indexed loanId,
        uint256 outstandingPrincipal,
        uint256 outstandingInterest,
        uint256 penaltyOutstanding,
        uint32 dpd
    );
    /// @dev The lender proposed schedule version `version`; the borrower accepts it with {acceptRestructure}.
    event RestructureProposed(uint256 indexed loanId, uint16 version, bytes32 scheduleHash, Installment[] schedule);
    /// @dev Schedule version `version` replaced the previous one, with the borrower's consent.
    /// `replacedInterest` is the unpaid interest of the old version, `forgivenPenalty` its unpaid penalties.
    event LoanRestructured(
        uint256 indexed loanId,
        uint16 version,
        uint256 outstandingPrincipal,
        uint256 replacedInterest,
        uint256 forgivenPenalty,
        bytes32 scheduleHash,
        Installment[] schedule
    );
    /// @dev The restructured loan left observation (two on-time payments, a year, nothing overdue).
    event ObservationEnded(uint256 indexed loanId);

    // ---------------------------------------------------------------- errors

    error LoanLedgerUnknownLoan(uint256 loanId);
    error LoanLedgerNotLender(address account, uint256 loanId);
    error LoanLedgerNotLenderOrServicer(address account, uint256 loanId);
    error LoanLedgerNotBorrower(address account, uint256 loanId);
    error LoanLedgerEmptySchedule();
    error LoanLedgerTooManyInstallments(uint256 count, uint256 max);
    error LoanLedgerDueDateNotInFuture(uint256 index, uint64 dueDate, uint256 now);
    error LoanLedgerDueDatesNotIncreasing(uint256 index, uint64 previous, uint64 dueDate);
    error LoanLedgerDueDateTooLate(uint256 index, uint64 dueDate);
    /// @dev An installment part (at `index`) or the principal total (index = count) is >= 2^96.
    error LoanLedgerAmountTooLarge(uint256 index, uint256 amount);
    error LoanLedgerEmptyInstallment(uint256 index);
    error LoanLedgerPrincipalMismatch(uint256 expected, uint256 scheduled);
    error LoanLedgerZeroPrincipal();
    error LoanLedgerRateAboveCap(uint16 contractRateBps, uint16 penaltyRateBps, uint16 maxAnnualRateBps);
    error LoanLedgerInvalidBorrower(address borrower);
    error LoanLedgerInvalidSettlement(address token, bytes3 currency);
    error LoanLedgerInvalidUtcOffset(int16 utcOffsetMinutes);
    error LoanLedgerInvalidGraceDays(uint16 graceDays, uint16 max);
    error LoanLedgerPenaltyRateAboveCap(uint16 penaltyRateBps, uint16 maxAnnualRateBps);
    error LoanLedgerInvalidReminderOffsets(uint256 index);
    error LoanLedgerInvalidThresholds(uint16 substandardAfterDays, uint16 doubtfulAfterDays, uint16 lossAfterDays);
    error LoanLedgerInvalidDefaultAfterDays(uint16 defaultAfterDays);
    error LoanLedgerInvalidMaxRate(uint16 maxAnnualRateBps);
    error LoanLedgerUnknownPolicy(uint32 policyId);
    error LoanLedgerZeroAmount();
    error LoanLedgerOverpayment(uint256 loanId, uint256 excess);
    error LoanLedgerLoanNotOpen(uint256 loanId, LoanStatus status);
    error LoanLedgerLoanNotActive(uint256 loanId, LoanStatus status);
    error LoanLedgerNotTokenLoan(uint256 loanId);
    error LoanLedgerPaidAtOutOfRange(uint64 paidAt, uint64 earliest, uint64 latest);
    error LoanLedgerNoPendingRestructure(uint256 loanId);
    error LoanLedgerScheduleMismatch(bytes32 expected, bytes32 given);
    error LoanLedgerExpiredSignature(uint256 deadline);
    error LoanLedgerInvalidSignature(address borrower);
    error LoanLedgerEmptyBatch();
    error LoanLedgerUnknownVersion(uint256 loanId, uint16 version);
    error LoanLedgerNothingToPoke();
    error LoanLedgerZeroStrategyHash();

    // ---------------------------------------------------------------- admin

    /// @notice Sets the legal cap on contract rate plus penalty rate for loans registered from now on.
    /// @dev May emit a {MaxAnnualRateSet} event. Requirements: caller has DEFAULT_ADMIN_ROLE; 0 < bps.
    function setMaxAnnualRate(uint16 maxAnnualRateBps) external;

    /// @notice Emergency stop: stops registration, policy changes, appointing servicers, servicers'
    /// {recordRepayment}, restructuring, charge-offs, write-offs and pokes. Never stops {repay} (by the
    /// borrower or anyone), the lender's own {recordRepayment}, or a lender revoking a servicer with
    /// {setServicer}(servicer, false), so a compromised servicer can be stopped and cut off.
    /// @dev May emit a {Paused} event. Requirements: caller has DEFAULT_ADMIN_ROLE; not paused.
    function pause() external;

    /// @notice Lifts {pause}.
    /// @dev May emit an {Unpaused} event. Requirements: caller has DEFAULT_ADMIN_ROLE; paused.
    function unpause() external;

    // ---------------------------------------------------------------- lender

    /// @notice Publishes a new collection policy for the caller; loans registered afterwards use it.
    /// @dev May emit a {PolicySet} event. Requirements: caller has LENDER_ROLE; not paused;
    /// graceDays <= 90; penaltyRateBps <= maxAnnualRateBps; 0 < substandard < doubtful < loss;
    /// 0 < defaultAfterDays; at most 15 reminder offsets (the count shares their storage word), strictly increasing, within [-365, 3650].
    function setPolicy(Policy calldata policy) external returns (uint32 policyId);

    /// @notice Records the hash of the collection strategy the caller puts in force, with its current
    /// policy, so that an auditor can tell from the chain which strategy was in force when.
    /// @dev May emit a {CollectionStrategySet} event. Requirements: caller has LENDER_ROLE; not paused;
    /// strategyHash non-zero.
    function setCollectionStrategy(bytes32 strategyHash) external;

    /// @notice Allows or revokes `servicer` to record the caller's off-chain repayments.
    /// @dev May emit a {ServicerSet} event. Requirements: caller has LENDER_ROLE; not paused when
    /// `allowed` (revoking works while paused).
    function setServicer(address servicer, bool allowed) external;

    /// @notice Registers a loan lent by the caller under the caller's current policy.
    /// @dev May emit a {LoanRegistered} event. Requirements: caller has LENDER_ROLE; not paused;
    /// borrower non-zero; exactly one of token/currency; utcOffsetMinutes within [-720, 840];
    /// principal > 0; 1..MAX_INSTALLMENTS (600) installments, due dates strictly increasing and
    /// after now, no part >= 2^96, no empty installment, principal parts summing to principal;
    /// contract rate plus the policy's penalty rate <= maxAnnualRateBps.
    function registerLoan(LoanParams calldata params) external returns (uint256 loanId);

    /// @notice Registers several loans in one transaction, all or nothing.
    /// @return firstLoanId The id of the first; the others follow consecutively.
    function registerLoans(LoanParams[] calldata params) external returns (uint256 firstLoanId);

    /// @notice Records `amount` received off chain at `paidAt`, applied by the waterfall at
    /// max(paidAt, the last payment's time): a payment received before a later (e.g. a third
    /// party's on-chain) repayment can still be recorded; it is applied as of that repayment, since
    /// penalties are never recomputed backwards. {LoanRepaid} carries `paidAt` as given.
    /// @dev May emit {LoanRepaid}, {ClassificationChanged}, {ObservationEnded} and {LoanClosed} events.
    /// Works while paused for the lender; a servicer's call reverts with EnforcedPause while paused.
    /// Requirements: caller is the loan's lender or its servicer; loan open;
    /// amount > 0 and not beyond the payoff; paidAt within [start of the current schedule version, block time].
    function recordRepayment(uint256 loanId, uint256 amount, uint64 paidAt, bytes32 bankRef) external;

    /// @notice Charges the loan off: it stays open and later payments are recoveries.
    /// @dev May emit a {LoanChargedOff} event. Requirements: caller is the loan's lender; loan Active; not paused.
    function chargeOff(uint256 loanId) external;

    /// @notice Writes the loan off: terminal, no further payments.
    /// @dev May emit a {LoanWrittenOff} event. Requirements: caller is the loan's lender; loan open; not paused.
    function writeOff(uint256 loanId) external;

    /// @notice Proposes a new schedule version for the borrower to accept with {acceptRestructure}.
    /// @dev May emit a {RestructureProposed} event. Requirements: caller is the loan's lender;
    /// loan Active; not paused; schedule valid (see {registerLoan}); its principal parts are checked
    /// against the outstanding principal when it is accepted.
    function proposeRestructure(uint256 loanId, Installment[] calldata schedule) external;

    /// @notice Applies a restructuring the borrower signed: EIP-712 domain ("Duetrail LoanLedger", "1"),
    /// `Restructure(uint256 loanId,uint16 version,Installment[] schedule,uint256 nonce,uint256 deadline)`
    /// `Installment(uint64 dueDate,uint256 principal,uint256 interest)`, so the wallet shows the
    /// installments. `nonce` is the borrower's per-loan nonce {nonces}(borrower, uint192(loanId)),
    /// consumed here: offers on different loans of one borrower do not invalidate each other.
    /// @dev May emit a {LoanRestructured} event. Requirements: caller is the loan's lender; loan Active;
    /// not paused; deadline not passed; a valid signature (EOA or ERC-1271) by the loan's borrower over
    /// (loanId, next version, schedule, the loan's current nonce, deadline); principal parts summing
    /// to the outstanding principal.
    function restructureWithSignature(
        uint256 loanId,
        Installment[] calldata schedule,
        uint256 deadline,
        bytes calldata signature
    ) external;

    // ---------------------------------------------------------------- borrower and anyone

    /// @notice Pays `amount` of the loan's ERC-20 from the caller to the lender. Credits what the
    /// lender actually received (fee-on-transfer tokens). Works while paused.
    /// @dev May emit {LoanRepaid}, {ClassificationChanged}, {ObservationEnded} and {LoanClosed} events.
    /// Requirements: loan open and settled in a token; amount > 0; what arrives is not beyond the payoff.
    function repay(uint256 loanId, uint256 amount) external;

    /// @notice The borrower accepts the pending restructuring proposal by its own transaction.
    /// @dev May emit a {LoanRestructured} event. Requirements: caller is the loan's borrower; loan
    /// Active; not paused; `schedule` equals the proposed one.
    function acceptRestructure(uint256 loanId, Installment[] calldata schedule) external;

    /// @notice Emits whatever is due for each loan: reminders, penalty assessments, classification
    /// changes, defaults, end of observation. Closed and written-off loans are skipped.
    /// @dev Requirements: not paused; every id exists.
    function poke(uint256[] calldata loanIds) external;

    // ---------------------------------------------------------------- views

    /// @notice The legal cap on contract rate plus penalty rate for loans registered from now on.
    /// @return The cap in basis points a year (see {setMaxAnnualRate}).
    function maxAnnualRateBps() external view returns (uint16);

    /// @notice The number of loans registered so far; loan ids run from 1 to this.
    /// @return The count, 0 before the first registration.
    function loanCount() external view returns (uint256);

    /// @notice A published collection policy, as it was published (policies are immutable).
    /// @dev Requirements: `policyId` was published (else reverts with LoanLedgerUnknownPolicy).
    /// @param policyId The policy's id; 0 is the product default.
    /// @return The policy.
    function policy(uint32 policyId) external view returns (Policy memory);

    /// @notice The policy that `lender`'s next registered loans get.
    /// @param lender The lender.
    /// @return The policy id of its latest {setPolicy}, or 0 (the product default) if it never set one.
    function currentPolicyOf(address lender) external view returns (uint32);

    /// @notice The collection strategy `lender` last put in force ({setCollectionStrategy}).
    /// @param lender The lender.
    /// @return strategyHash SHA-256 of the strategy's canonical JSON, or zero if it never set one.
    function collectionStrategyOf(address lender) external view returns (bytes32 strategyHash);

    /// @notice Whether `servicer` may record `lender`'s off-chain repayments ({setServicer}).
    /// @param lender The lender that appointed (or revoked) the servicer.
    /// @param servicer The account to check.
    /// @return True while appointed.
    function isServicer(address lender, address servicer) external view returns (bool);

    /// @notice A loan's terms under its current schedule version: parties, settlement, principal of
    /// the version, rates, policy, start, version number, installment count and penalty terms.
    /// @dev Requirements: the loan exists (else reverts with LoanLedgerUnknownLoan).
    /// @param loanId The loan.
    /// @return The terms.
    function loanTerms(uint256 loanId) external view returns (LoanTerms memory);

    /// @notice A loan's state as of the current block (docs/ledger-rules.md, "Lateness"): status,
    /// classification, bucket, DPD, amounts overdue and outstanding, the next installment, the
    /// cursor and the defaulted and observation flags. A closed loan reports its status, cursor
    /// and flags only; its figures are zero.
    /// @dev Requirements: the loan exists (else reverts with LoanLedgerUnknownLoan).
    /// @param loanId The loan.
    /// @return The state.
    function loanState(uint256 loanId) external view returns (LoanState memory);

    /// @notice The parties and contact time zone of a loan (used by CollectionLog).
    /// @dev Requirements: the loan exists (else reverts with LoanLedgerUnknownLoan).
    /// @param loanId The loan.
    /// @return lender The lender.
    /// @return borrower The borrower.
    /// @return utcOffsetMinutes The borrower's UTC offset in minutes.
    function loanParties(uint256 loanId) external view returns (address lender, address borrower, int16 utcOffsetMinutes);

    /// @notice Days past due now (0 when nothing is overdue or the loan is closed).
    /// @dev Requirements: the loan exists (else reverts with LoanLedgerUnknownLoan).
    /// @param loanId The loan.
    /// @return Whole days since the due date of the oldest installment not fully settled.
    function daysPastDue(uint256 loanId) external view returns (uint32);

    /// @notice What CollectionLog needs per action, in one call: the lender, the borrower's UTC
    /// offset, the days past due now and the loan's jurisdiction.
    /// @dev Requirements: the loan exists (else reverts with LoanLedgerUnknownLoan).
    /// @param loanId The loan.
    /// @return lender The lender.
    /// @return utcOffsetMinutes The borrower's UTC offset in minutes.
    /// @return dpd Days past due now, as {daysPastDue}.
    /// @return jurisdiction The ISO 3166 code the loan was registered under (its contact rules apply).
    function collectionContext(uint256 loanId)
        external
        view
        returns (address lender, int16 utcOffsetMinutes, uint32 dpd, bytes6 jurisdiction);

    /// @notice Installments of schedule version `version` (1 = as registered), the current one or
    /// one a restructuring replaced.
    /// @dev Requirements: the loan exists (LoanLedgerUnknownLoan) and has had that version
    /// (LoanLedgerUnknownVersion).
    /// @param loanId The loan.
    /// @param version The schedule version.
    /// @return The installments, in order.
    function scheduleOf(uint256 loanId, uint16 version) external view returns (Installment[] memory);

    /// @notice The restructuring the lender proposed ({proposeRestructure}) and the borrower has not
    /// accepted yet.
    /// @param loanId The loan.
    /// @return scheduleHash keccak256(abi.encode(schedule)) of the proposed schedule; zero if none
    /// is pending (also for an unknown loan).
    function pendingRestructure(uint256 loanId) external view returns (bytes32 scheduleHash);

    /// @notice `owner`'s next unkeyed EIP-712 nonce (key 0 of {nonces}(owner, key)). Restructuring
    /// consents do not use it: they use the per-loan nonce {nonces}(borrower, uint192(loanId)).
    /// @param owner The account.
    /// @return The nonce.
    function nonces(address owner) external view returns (uint256);

    /// @notice `owner`'s next nonce under `key` (OpenZeppelin NoncesKeyed): `key << 64 | count`, the
    /// value to sign. For a restructuring consent, `key` = uint192(loanId).
    /// @param owner The account.
    /// @param key The nonce sequence.
    /// @return `key << 64 | count`, where count is the number of nonces `owner` used under `key`.
    function nonces(address owner, uint192 key) external view returns (uint256);
}
