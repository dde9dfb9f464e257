// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ILoanLedgerTypes} from "./ILoanLedgerTypes.sol";

/// @title Types, events and errors of relief: payment holidays, arrears plans and settlements.
/// @dev ILoanLedger inherits this, so the ledger's ABI carries them: relief runs in the ledger's
/// storage and emits from the ledger's address (LoanRelief is reached through the ledger's fallback).
interface ILoanReliefEvents is ILoanLedgerTypes {
    /// @dev What happens to the interest of the deferred installments.
    /// Accrued: it stays interest and is paid later with them. Capitalised: it becomes principal.
    /// Waived: it is forgiven (reported as `waivedInterest`).
    enum HolidayInterest {
        Accrued,
        Capitalised,
        Waived
    }

    /// @dev Where the deferred amounts go. End: the deferred installments move, one by one, after the
    /// last installment at the schedule's last period. Spread: their amounts are added evenly to the
    /// installments after the holiday (floor division; the last takes the residue).
    enum HolidayPlacement {
        End,
        Spread
    }

    /// @dev A payment holiday's terms, as the lender offers them and the borrower signs them.
    /// `installments`: how many unpaid installments, from the oldest, are deferred.
    struct HolidayTerms {
        uint16 installments;
        HolidayInterest interest;
        HolidayPlacement placement;
    }

    /// @dev What a payment holiday moved: unpaid principal and interest of the deferred installments
    /// (before the interest treatment), the interest waived and the penalties forgiven.
    struct HolidayFigures {
        uint256 deferredPrincipal;
        uint256 deferredInterest;
        uint256 waivedInterest;
        uint256 forgivenPenalty;
    }

    /// @dev How a settlement was allocated: penalties, then interest, then principal; the rest forgiven.
    struct SettlementFigures {
        uint256 penaltyPaid;
        uint256 interestPaid;
        uint256 principalPaid;
        uint256 penaltyForgiven;
        uint256 interestForgiven;
        uint256 principalForgiven;
    }

    /// @dev One promised part of an arrears plan: `amount` by `dueDate`.
    struct ArrearsPart {
        uint64 dueDate;
        uint256 amount;
    }

    /// @dev A lender set its relief policy: the most DPD at which a payment holiday may still be granted.
    event ReliefPolicySet(address indexed lender, uint16 holidayMaxDpd);
    /// @dev A payment holiday was granted with the borrower's consent: schedule version `version`
    /// replaced the previous one. Nothing is due from `from` (the grant) until `to` (the last deferred
    /// installment's original due date): no reminders, penalties or classification changes until then.
    event PaymentHolidayGranted(
        uint256 indexed loanId,
        uint16 version,
        uint64 from,
        uint64 to,
        HolidayTerms terms,
        HolidayFigures figures,
        Installment[] schedule
    );
    /// @dev The holiday's period is over (emitted by the first poke at or after `to`).
    event PaymentHolidayEnded(uint256 indexed loanId, uint64 to);
    /// @dev An arrears plan was created with the borrower's consent: the `arrears` (amount overdue +
    /// penalty outstanding at `createdAt`) split into dated parts. While it is kept nothing else is
    /// emitted for the loan (no reminders, penalty assessments, classification changes or default).
    event ArrearsPlanCreated(
        uint256 indexed loanId,
        uint64 createdAt,
        uint256 arrears,
        uint256 amountOverdue,
        uint256 penaltyOutstanding,
        ArrearsPart[] parts
    );
    /// @dev Part `part` was kept: by the first poke at or after its due date, `paid` (repaid since the
    /// plan's creation) reached `required` (the parts up to it plus the installments due since the creation by then).
    event ArrearsPartKept(uint256 indexed loanId, uint16 part, uint64 dueDate, uint256 required, uint256 paid);
    /// @dev Part `part` was missed: the plan ends and the loan returns to its normal course in the same poke.
    event ArrearsPlanBroken(uint256 indexed loanId, uint16 part, uint64 dueDate, uint256 required, uint256 paid);
    /// @dev Every part was kept: the plan ends and the loan returns to its normal course in the same poke.
    event ArrearsPlanCompleted(uint256 indexed loanId, uint256 paid);
    /// @dev The lender offered to settle the loan for `amount` if paid by `deadline`; the owed
    /// figures are those at the offer. A new offer replaces an earlier one; an expired one changes nothing.
    event SettlementOffered(
        uint256 indexed loanId,
        uint256 amount,
        uint64 deadline,
        uint256 principalOwed,
        uint256 interestOwed,
        uint256 penaltyOwed
    );
    /// @dev The loan ended as settled: `amount` was paid (on chain by `payer`, or attested by the lender
    /// with `bankRef` when `offChain`) and the rest forgiven; terminal.
    event LoanSettled(
        uint256 indexed loanId,
        address indexed payer,
        uint256 amount,
        SettlementFigures figures,
        uint64 paidAt,
        bytes32 bankRef,
        bool offChain
    );

    /// @dev LoanRelief was called directly; it runs only through the ledger.
    error LoanReliefDirectCall();
    error LoanLedgerLoanDefaulted(uint256 loanId);
    error LoanLedgerHolidayDpdTooHigh(uint256 loanId, uint32 dpd, uint16 holidayMaxDpd);
    error LoanLedgerHolidayInForce(uint256 loanId, uint64 to);
    /// @dev `installments` is 0 or more than the `available` unpaid installments (or, for Spread, leaves none after it).
    error LoanLedgerInvalidHolidayInstallments(uint16 installments, uint256 available);
    /// @dev Every deferred installment is already due: there would be no holiday to take.
    error LoanLedgerHolidayInPast(uint64 to);
    error LoanLedgerArrearsPlanInForce(uint256 loanId);
    /// @dev Nothing is overdue: there are no arrears to plan.
    error LoanLedgerNoArrears(uint256 loanId);
    /// @dev 1 to MAX_ARREARS_PARTS parts.
    error LoanLedgerInvalidArrearsPartCount(uint256 parts, uint256 max);
    /// @dev Part `index` is due no later than the one before it (or than now, for the first), or too late to store.
    error LoanLedgerInvalidArrearsPartDate(uint256 index, uint64 dueDate);
    error LoanLedgerEmptyArrearsPart(uint256 index);
    /// @dev The parts must add up to the arrears now: amount overdue + penalty outstanding.
    error LoanLedgerArrearsMismatch(uint256 parts, uint256 arrears);
    error LoanLedgerNoSettlementOffer(uint256 loanId);
    error LoanLedgerSettlementExpired(uint256 loanId, uint64 deadline);
    /// @dev A settlement must be above zero and below what is owed (else it is a plain repayment).
    error LoanLedgerInvalidSettlementAmount(uint256 amount, uint256 owed);
    error LoanLedgerInvalidDeadline(uint64 deadline);
    /// @dev A fee-on-transfer token delivered less than the agreed settlement.
    error LoanLedgerSettlementShortPaid(uint256 received, uint256 amount);
}

/// @title LoanRelief: payment holidays, arrears plans and settlements of LoanLedger's loans.
/// @notice Called at the ledger's address (the ledger delegates these selectors to its relief
/// module), so relief reads and writes the ledger's loans and emits from the ledger. Rules:
/// docs/ledger-rules.md, "Relief".
interface ILoanRelief is ILoanReliefEvents {
    /// @notice Sets the caller's relief policy: a payment holiday may be granted only while DPD is at
    /// most `holidayMaxDpd` (and never once the loan has defaulted). Unset, the default is 30.
    /// @dev May emit a {ReliefPolicySet} event. Requirements: caller has LENDER_ROLE; not paused.
    function setReliefPolicy(uint16 holidayMaxDpd) external;

    /// @notice Grants a payment holiday the borrower signed: EIP-712 domain ("Duetrail LoanLedger", "1"),
    /// `PaymentHoliday(uint256 loanId,uint16 version,uint16 installments,uint8 interest,uint8 placement,uint64 to,uint256 nonce,uint256 deadline)`,
    /// `version` the one the holiday creates, `to` its end (the last deferred installment's due date,
    /// so the consent covers exactly the installments deferred now) and `nonce` the borrower's
    /// per-loan nonce {nonces}(borrower, uint192(loanId)) shared with restructuring consents.
    /// The oldest `terms.installments` unpaid installments (the cursor's unpaid rest first) are
    /// deferred per `terms`; unpaid penalties are forgiven; the new version starts now at its first
    /// installment, with reminders restarting.
    /// @dev May emit {PaymentHolidayGranted} and {ClassificationChanged} events. Requirements: caller is
    /// the loan's lender; loan Active; not paused; deadline not passed; 1 <= installments <= unpaid
    /// installments (Spread: fewer, so some remain to spread over); a valid borrower signature (EOA or
    /// ERC-1271); no holiday flagged (a finished one is closed by a poke); not defaulted and no default
    /// due (DPD <= the policy's defaultAfterDays); DPD <= the lender's holidayMaxDpd; the last deferred
    /// installment is due after now.
    function grantPaymentHoliday(uint256 loanId, HolidayTerms calldata terms, uint256 deadline, bytes calldata signature)
        external;

    /// @notice Creates an arrears plan the borrower signed: EIP-712 domain ("Duetrail LoanLedger", "1"),
    /// `ArrearsPlan(uint256 loanId,ArrearsPart[] parts,uint256 nonce,uint256 deadline)ArrearsPart(uint64 dueDate,uint256 amount)`
    /// with the borrower's per-loan nonce {nonces}(borrower, uint192(loanId)) shared with restructuring
    /// and holiday consents. First brings the loan's record up to date (a poke); then the parts, which
    /// must add up to the arrears now (amount overdue + penalty outstanding), are stored. Each part is
    /// judged by the first poke at or after its due date: kept if what was repaid since the creation
    /// reaches the parts up to it plus the installments due since the creation by then; a missed part
    /// ends the plan (ArrearsPlanBroken), the last kept one completes it (ArrearsPlanCompleted). What is
    /// owed does not change: penalties keep accruing under the loan's terms.
    /// @dev May emit the events of a poke, then {ArrearsPlanCreated}. Requirements: caller is the loan's
    /// lender; loan Active; not paused; deadline not passed; a valid borrower signature (EOA or
    /// ERC-1271); no holiday or plan in force after the poke; arrears > 0; 1 to MAX_ARREARS_PARTS parts,
    /// each > 0, due dates increasing and after now; their sum equal to the arrears.
    function createArrearsPlan(uint256 loanId, ArrearsPart[] calldata parts, uint256 deadline, bytes calldata signature) external;

    /// @notice Pokes one open loan (as {ILoanLedger.poke}); the ledger's poke uses it for a loan with a
    /// payment holiday or an arrears plan in force: a holiday that is over is closed, an arrears plan's
    /// parts due are judged, and once no relief is in force the normal course is emitted.
    /// @dev May emit {PaymentHolidayEnded}, {ArrearsPartKept}, {ArrearsPlanBroken}, {ArrearsPlanCompleted}
    /// and the poke events. Requirements: loan open; not paused.
    function pokeUnderRelief(uint256 loanId) external;

    /// @notice Offers to settle the loan for `amount` paid by `deadline`; replaces an earlier offer.
    /// @dev May emit a {SettlementOffered} event. Requirements: caller is the loan's lender; loan open;
    /// not paused; 0 < amount < principal + interest + penalties owed now; deadline >= now.
    function offerSettlement(uint256 loanId, uint256 amount, uint64 deadline) external;

    /// @notice Pays the offered settlement from the caller to the lender in the loan's ERC-20; the loan
    /// ends as Settled. Works while paused (like {repay}).
    /// @dev May emit a {LoanSettled} event. Requirements: an offer, not expired; loan open and settled in a
    /// token; the amount still below what is owed; the lender receives the whole amount.
    function settle(uint256 loanId) external;

    /// @notice The lender attests that the offered settlement was received off chain at `paidAt`;
    /// the loan ends as Settled. Works while paused (like the lender's {recordRepayment}).
    /// @dev May emit a {LoanSettled} event. Requirements: caller is the loan's lender; an offer with
    /// paidAt <= its deadline; paidAt within [start of the current schedule version, block time];
    /// loan open; the amount still below what is owed.
    function recordSettlement(uint256 loanId, uint64 paidAt, bytes32 bankRef) external;

    /// @notice The most DPD at which `lender` may still grant a payment holiday.
    function reliefPolicyOf(address lender) external view returns (uint16 holidayMaxDpd);

    /// @notice The loan's payment holiday: whether one is flagged (in force, or over but not yet closed
    /// by a poke) and when its period ends (zeros if none).
    function holidayOf(uint256 loanId) external view returns (bool flagged, uint64 to);

    /// @notice The open loan's arrears plan in force (inForce false and the rest empty when none): its
    /// creation time, the first part not yet judged, what was repaid since the creation and the parts.
    function arrearsPlanOf(uint256 loanId)
        external
        view
        returns (bool inForce, uint64 createdAt, uint16 next, uint256 paid, ArrearsPart[] memory parts);

    /// @notice The settlement on offer: amount and deadline (zeros if none).
    function settlementOffer(uint256 loanId) external view returns (uint256 amount, uint64 deadline);
}
