// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Types shared by LoanLedger, its libraries and its readers.
interface ILoanLedgerTypes {
    /// @dev Open states are Active and ChargedOff; WrittenOff, Closed and Settled are terminal.
    /// Settled: ended by a settlement for less than was owed (LoanSettled carries the forgiven amounts).
    enum LoanStatus {
        Active,
        ChargedOff,
        WrittenOff,
        Closed,
        Settled
    }

    /// @dev Five-category classification (2023 PRC rules): 正常, 关注, 次级, 可疑, 损失.
    enum Classification {
        Normal,
        SpecialMention,
        Substandard,
        Doubtful,
        Loss
    }

    /// @dev One scheduled payment. Amounts in minor units, each part < 2^96.
    struct Installment {
        uint64 dueDate;
        uint256 principal;
        uint256 interest;
    }

    /// @dev What a lender supplies to register a loan. Exactly one of `token` (ERC-20 settlement)
    /// and `currency` (ISO-4217 code, settled off chain) is set.
    struct LoanParams {
        address borrower;
        bytes32 borrowerRef;
        address token;
        bytes3 currency;
        uint256 principal;
        uint16 contractRateBps;
        int16 utcOffsetMinutes;
        /// @dev ISO 3166 code, left-aligned ASCII: a country ("GB") or a subdivision ("US-CA"); see Jurisdictions.
        bytes6 jurisdiction;
        Installment[] schedule;
    }

    /// @dev A lender's collection policy. Stored immutably under a policy id; a loan keeps the
    /// policy that was current when it was registered.
    struct Policy {
        uint16 graceDays;
        uint16 penaltyRateBps;
        uint96 lateFee;
        uint16 substandardAfterDays;
        uint16 doubtfulAfterDays;
        uint16 lossAfterDays;
        uint16 defaultAfterDays;
        int16[] reminderOffsetsDays;
    }

    /// @dev Penalty terms captured when a loan is registered (see docs/ledger-rules.md).
    struct PenaltyTerms {
        uint16 graceDays;
        uint16 penaltyRateBps;
        uint16 capRoomBps;
        uint96 lateFee;
    }

    /// @dev A loan's terms as stored with its current schedule version.
    struct LoanTerms {
        address lender;
        address borrower;
        address token;
        bytes3 currency;
        bytes32 borrowerRef;
        uint256 principal;
        uint16 contractRateBps;
        int16 utcOffsetMinutes;
        bytes6 jurisdiction;
        uint32 policyId;
        uint64 startedAt;
        uint16 version;
        uint16 installmentCount;
        PenaltyTerms penalty;
    }

    /// @dev A loan's state as of the current block (docs/ledger-rules.md, "Lateness").
    struct LoanState {
        LoanStatus status;
        Classification classification;
        uint8 bucket;
        uint32 dpd;
        uint256 amountOverdue;
        uint256 penaltyOutstanding;
        uint64 nextDueDate;
        uint256 nextDueAmount;
        uint256 outstandingPrincipal;
        uint256 outstandingInterest;
        uint16 cursor;
        bool defaulted;
        bool observation;
    }
}
