// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {NoncesKeyed} from "@openzeppelin/contracts/utils/NoncesKeyed.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ILoanLedger} from "./interfaces/ILoanLedger.sol";
import {ILoanRelief} from "./interfaces/ILoanRelief.sol";
import {ILoanJurisdictions} from "./interfaces/ILoanJurisdictions.sol";
import {Jurisdictions} from "./libraries/Jurisdictions.sol";
import {LoanLedgerStorage} from "./LoanLedgerStorage.sol";
import {LoanLogic} from "./libraries/LoanLogic.sol";
import {LoanBits} from "./libraries/LoanBits.sol";
import {ReliefLogic} from "./libraries/ReliefLogic.sol";
import {ScheduleStore} from "./libraries/ScheduleStore.sol";
import {PolicyStore} from "./libraries/PolicyStore.sol";

/// @title LoanRelief: payment holidays, arrears plans and settlements, run in LoanLedger's storage.
/// @notice Never called directly: LoanLedger deploys it and delegates to it every selector it does
/// not have, so relief reads and writes the ledger's loans and emits from the ledger's address.
/// @dev Inherits exactly LoanLedger's stateful bases, in LoanLedger's order, so both contracts have
/// one storage layout (test/contracts/LoanRelief.test.ts compares the compiler's layouts).
/// EIP712 rebuilds its separator for address(this) = the ledger, so signatures are the ledger's.
contract LoanRelief is ILoanRelief, ILoanJurisdictions, LoanLedgerStorage, AccessControl, Pausable, ReentrancyGuardTransient, NoncesKeyed, EIP712 {
    using SafeERC20 for IERC20;
    using LoanLogic for Loan;

    /// @dev LoanLedger.LENDER_ROLE.
    bytes32 private constant _LENDER_ROLE = keccak256("LENDER_ROLE");
    /// @dev EIP-712 consent to a payment holiday (src/chain/typed-data.ts builds the same typed data).
    bytes32 public constant PAYMENT_HOLIDAY_TYPEHASH = keccak256(
        "PaymentHoliday(uint256 loanId,uint16 version,uint16 installments,uint8 interest,uint8 placement,uint64 to,uint256 nonce,uint256 deadline)"
    );
    /// @dev The most DPD at which a holiday may be granted, for a lender that never set a relief policy.
    uint16 public constant DEFAULT_HOLIDAY_MAX_DPD = 30;
    /// @dev EIP-712 consent to an arrears plan (src/chain/typed-data.ts builds the same typed data).
    bytes32 public constant ARREARS_PLAN_TYPEHASH = keccak256(
        "ArrearsPlan(uint256 loanId,ArrearsPart[] parts,uint256 nonce,uint256 deadline)ArrearsPart(uint64 dueDate,uint256 amount)"
    );
    bytes32 public constant ARREARS_PART_TYPEHASH = keccak256("ArrearsPart(uint64 dueDate,uint256 amount)");
    /// @dev The most parts an arrears plan may have.
    uint256 public constant MAX_ARREARS_PARTS = ReliefLogic.MAX_ARREARS_PARTS;
    uint256 private constant _POLICY_SET = 1 << 16;

    address private immutable _self;

    constructor() EIP712("Duetrail LoanLedger", "1") {
        _self = address(this);
    }

    /// @dev Only through the ledger's delegatecall: called directly, this contract's own (empty)
    /// storage would be written, which could only confuse a reader.
    modifier onlyDelegated() {
        if (address(this) == _self) revert LoanReliefDirectCall();
        _;
    }

    // ------------------------------------------------------------------ admin

    /// @inheritdoc ILoanJurisdictions
    function setJurisdictionCap(bytes6 jurisdiction, uint16 maxAnnualRateBps) external onlyDelegated onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!Jurisdictions.isValid(jurisdiction)) revert LoanLedgerInvalidJurisdiction(jurisdiction);
        emit JurisdictionCapSet(jurisdiction, _jurisdictionCaps[jurisdiction], maxAnnualRateBps);
        _jurisdictionCaps[jurisdiction] = maxAnnualRateBps;
    }

    // ------------------------------------------------------------------ lender

    /// @notice ILoanLedger.setPolicy, which the ledger runs here (see there).
    function setPolicy(Policy calldata p) external onlyDelegated onlyRole(_LENDER_ROLE) whenNotPaused returns (uint32 policyId) {
        if (p.graceDays > PolicyStore.MAX_GRACE_DAYS) {
            revert ILoanLedger.LoanLedgerInvalidGraceDays(p.graceDays, PolicyStore.MAX_GRACE_DAYS);
        }
        if (p.penaltyRateBps > _maxAnnualRateBps) revert ILoanLedger.LoanLedgerPenaltyRateAboveCap(p.penaltyRateBps, _maxAnnualRateBps);
        if (p.substandardAfterDays == 0 || p.doubtfulAfterDays <= p.substandardAfterDays || p.lossAfterDays <= p.doubtfulAfterDays) {
            revert ILoanLedger.LoanLedgerInvalidThresholds(p.substandardAfterDays, p.doubtfulAfterDays, p.lossAfterDays);
        }
        if (p.defaultAfterDays == 0) revert ILoanLedger.LoanLedgerInvalidDefaultAfterDays(p.defaultAfterDays);
        int16[] calldata offsets = p.reminderOffsetsDays;
        if (offsets.length > PolicyStore.MAX_STAGES) revert ILoanLedger.LoanLedgerInvalidReminderOffsets(PolicyStore.MAX_STAGES);
        for (uint256 k; k < offsets.length; ++k) {
            int16 o = offsets[k];
            if (o < PolicyStore.MIN_OFFSET_DAYS || o > PolicyStore.MAX_OFFSET_DAYS || (k > 0 && o <= offsets[k - 1])) {
                revert ILoanLedger.LoanLedgerInvalidReminderOffsets(k);
            }
        }
        policyId = _policyCount++;
        _policies[policyId] = PolicyStore.pack(p);
        _currentPolicy[msg.sender] = policyId;
        emit ILoanLedger.PolicySet(msg.sender, policyId, p);
    }


    /// @inheritdoc ILoanRelief
    function setReliefPolicy(uint16 holidayMaxDpd) external onlyDelegated onlyRole(_LENDER_ROLE) whenNotPaused {
        _reliefPolicies[msg.sender] = uint24(_POLICY_SET | holidayMaxDpd);
        emit ReliefPolicySet(msg.sender, holidayMaxDpd);
    }

    /// @inheritdoc ILoanRelief
    function grantPaymentHoliday(uint256 loanId, HolidayTerms calldata terms, uint256 deadline, bytes calldata signature)
        external
        onlyDelegated
        whenNotPaused
        nonReentrant
    {
        (Loan storage loan, ScheduleStore.Header memory h) = _lenderLoan(loanId);
        _requireActiveBy(loanId, loan, deadline);
        // The consent names the holiday's end, so it covers exactly the installments deferred now
        // (a repayment since the signature moves them, and the signature no longer matches).
        uint256 to = ReliefLogic.holidayEnd(loan, terms);
        _checkHolidayConsent(loanId, h, terms, to, deadline, signature);
        _requireNoRelief(loanId, loan);
        uint256 dpd = loan.dpdAt(block.timestamp);
        // A default that is due counts, whether a poke has recorded it or not: a holiday must not hide it.
        if (loan.flags.defaulted() || dpd > _policies[h.policyId].defaultAfterDays) revert LoanLedgerLoanDefaulted(loanId);
        uint16 maxDpd = reliefPolicyOf(h.lender);
        if (dpd > maxDpd) revert LoanLedgerHolidayDpdTooHigh(loanId, uint32(dpd), maxDpd);
        _previousSchedules[loanId][h.version] = LoanBits.toScheduleRef(loan.schedule, loan.count, loan.widthOf());
        delete _pendingRestructure[loanId];
        ReliefLogic.grantHoliday(loan, loanId, h, terms, to);
    }

    /// @inheritdoc ILoanRelief
    function createArrearsPlan(uint256 loanId, ArrearsPart[] calldata parts, uint256 deadline, bytes calldata signature)
        external
        onlyDelegated
        whenNotPaused
        nonReentrant
    {
        (Loan storage loan, ScheduleStore.Header memory h) = _lenderLoan(loanId);
        _requireActiveBy(loanId, loan, deadline);
        _checkArrearsConsent(loanId, h, parts, deadline, signature);
        // The record first catches up (reminders, assessment, classification, default, a holiday's end),
        // so the plan hides nothing that was already due.
        _pokeLoan(loanId, loan, h);
        _requireNoRelief(loanId, loan);
        ReliefLogic.createArrearsPlan(loan, loanId, h, parts);
    }

    /// @inheritdoc ILoanRelief
    function pokeUnderRelief(uint256 loanId) external onlyDelegated whenNotPaused {
        Loan storage loan = _loan(loanId);
        _requireOpen(loanId, loan);
        _pokeLoan(loanId, loan, ScheduleStore.readHeader(loan.schedule));
    }

    /// @inheritdoc ILoanRelief
    function offerSettlement(uint256 loanId, uint256 amount, uint64 deadline) external onlyDelegated whenNotPaused {
        (Loan storage loan, ScheduleStore.Header memory h) = _lenderLoan(loanId);
        _requireOpen(loanId, loan);
        if (deadline < block.timestamp) revert LoanLedgerInvalidDeadline(deadline);
        (uint256 principal, uint256 interest) = loan.outstanding();
        uint256 penalty = loan.figures(h, block.timestamp).penaltyOutstanding;
        uint256 owed = principal + interest + penalty;
        if (amount == 0 || amount >= owed) revert LoanLedgerInvalidSettlementAmount(amount, owed);
        // Safe: amount < owed, and every owed part is below 2^96 times 600 installments (< 2^106).
        _settlementOffers[loanId] = SettlementOffer(uint128(amount), deadline);
        emit SettlementOffered(loanId, amount, deadline, principal, interest, penalty);
    }

    /// @inheritdoc ILoanRelief
    function recordSettlement(uint256 loanId, uint64 paidAt, bytes32 bankRef) external onlyDelegated nonReentrant {
        (Loan storage loan, ScheduleStore.Header memory h) = _lenderLoan(loanId);
        if (paidAt < h.startedAt || paidAt > block.timestamp) {
            revert ILoanLedger.LoanLedgerPaidAtOutOfRange(paidAt, h.startedAt, uint64(block.timestamp));
        }
        SettlementOffer memory offer = _offer(loanId, paidAt);
        _settle(loanId, loan, h, offer.amount, paidAt, bankRef, true);
    }

    // ------------------------------------------------------------------ borrower and anyone

    /// @inheritdoc ILoanRelief
    function settle(uint256 loanId) external onlyDelegated nonReentrant {
        Loan storage loan = _loan(loanId);
        ScheduleStore.Header memory h = ScheduleStore.readHeader(loan.schedule);
        if (h.token == address(0)) revert ILoanLedger.LoanLedgerNotTokenLoan(loanId);
        SettlementOffer memory offer = _offer(loanId, block.timestamp);
        _requireOpen(loanId, loan);
        IERC20 token = IERC20(h.token);
        uint256 before = token.balanceOf(h.lender);
        token.safeTransferFrom(msg.sender, h.lender, offer.amount);
        uint256 received = token.balanceOf(h.lender) - before;
        if (received < offer.amount) revert LoanLedgerSettlementShortPaid(received, offer.amount);
        _settle(loanId, loan, h, offer.amount, uint64(block.timestamp), bytes32(0), false);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILoanJurisdictions
    function jurisdictionCapOf(bytes6 jurisdiction) external view returns (uint16 effectiveBps, uint16 ownBps) {
        return _capOf(jurisdiction);
    }

    /// @inheritdoc ILoanRelief
    function reliefPolicyOf(address lender) public view returns (uint16 holidayMaxDpd) {
        uint256 packed = _reliefPolicies[lender];
        return packed == 0 ? DEFAULT_HOLIDAY_MAX_DPD : uint16(packed);
    }

    /// @inheritdoc ILoanRelief
    function holidayOf(uint256 loanId) external view returns (bool flagged, uint64 to) {
        Loan storage loan = _loan(loanId);
        flagged = loan.flags.relief() && loan.holidayEnd != 0;
        to = flagged ? uint64(loan.holidayEnd) : 0;
    }

    /// @inheritdoc ILoanRelief
    function arrearsPlanOf(uint256 loanId)
        external
        view
        returns (bool inForce, uint64 createdAt, uint16 next, uint256 paid, ArrearsPart[] memory parts)
    {
        Loan storage loan = _loan(loanId);
        LoanStatus s = loan.status;
        if (!loan.flags.relief() || loan.planStart == 0 || (s != LoanStatus.Active && s != LoanStatus.ChargedOff)) {
            return (false, 0, 0, 0, parts);
        }
        uint256 n = loan.planParts.length;
        parts = new ArrearsPart[](n);
        uint256 before;
        for (uint256 i; i < n; ++i) {
            LoanLedgerStorage.ArrearsCheckpoint memory part = loan.planParts[i];
            parts[i] = ArrearsPart(part.dueDate, part.cumulative - before);
            before = part.cumulative;
        }
        return (true, loan.planStart, loan.planNext, loan.planPaid, parts);
    }

    /// @inheritdoc ILoanRelief
    function settlementOffer(uint256 loanId) external view returns (uint256 amount, uint64 deadline) {
        SettlementOffer memory offer = _settlementOffers[loanId];
        return (offer.amount, offer.deadline);
    }

    // ------------------------------------------------------------------ internals

    function _loan(uint256 loanId) private view returns (Loan storage loan) {
        loan = _loans[loanId];
        if (loan.schedule == address(0)) revert ILoanLedger.LoanLedgerUnknownLoan(loanId);
    }

    function _lenderLoan(uint256 loanId) private view returns (Loan storage loan, ScheduleStore.Header memory h) {
        loan = _loan(loanId);
        h = ScheduleStore.readHeader(loan.schedule);
        if (msg.sender != h.lender) revert ILoanLedger.LoanLedgerNotLender(msg.sender, loanId);
    }

    /// @dev Relief the borrower consented to by `deadline` needs an Active loan and the deadline not passed.
    function _requireActiveBy(uint256 loanId, Loan storage loan, uint256 deadline) private view {
        if (loan.status != LoanStatus.Active) revert ILoanLedger.LoanLedgerLoanNotActive(loanId, loan.status);
        if (block.timestamp > deadline) revert ILoanLedger.LoanLedgerExpiredSignature(deadline);
    }

    function _requireOpen(uint256 loanId, Loan storage loan) private view {
        LoanStatus s = loan.status;
        if (s != LoanStatus.Active && s != LoanStatus.ChargedOff) revert ILoanLedger.LoanLedgerLoanNotOpen(loanId, s);
    }

    /// @dev Reverts unless the loan's borrower signed this holiday (EIP-712 PaymentHoliday; consumes its per-loan nonce).
    function _checkHolidayConsent(
        uint256 loanId,
        ScheduleStore.Header memory h,
        HolidayTerms calldata terms,
        uint256 to,
        uint256 deadline,
        bytes calldata signature
    ) private {
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    PAYMENT_HOLIDAY_TYPEHASH,
                    loanId,
                    h.version + 1,
                    terms.installments,
                    terms.interest,
                    terms.placement,
                    to,
                    _useNonce(h.borrower, uint192(loanId)),
                    deadline
                )
            )
        );
        if (!SignatureChecker.isValidSignatureNow(h.borrower, digest, signature)) {
            revert ILoanLedger.LoanLedgerInvalidSignature(h.borrower);
        }
    }

    function _pokeLoan(uint256 loanId, Loan storage loan, ScheduleStore.Header memory h) private {
        if (loan.flags.relief()) ReliefLogic.pokeUnderRelief(loan, loanId, h, _policies[h.policyId]);
        else loan.poke(loanId, h, _policies[h.policyId]);
    }

    /// @dev Reverts while a payment holiday or an arrears plan is in force.
    function _requireNoRelief(uint256 loanId, Loan storage loan) private view {
        if (!loan.flags.relief()) return;
        if (loan.holidayEnd != 0) revert LoanLedgerHolidayInForce(loanId, uint64(loan.holidayEnd));
        revert LoanLedgerArrearsPlanInForce(loanId);
    }

    /// @dev Reverts unless the loan's borrower signed these parts (EIP-712 ArrearsPlan; consumes its per-loan nonce).
    function _checkArrearsConsent(
        uint256 loanId,
        ScheduleStore.Header memory h,
        ArrearsPart[] calldata parts,
        uint256 deadline,
        bytes calldata signature
    ) private {
        bytes32[] memory hashes = new bytes32[](parts.length);
        for (uint256 i; i < parts.length; ++i) {
            hashes[i] = keccak256(abi.encode(ARREARS_PART_TYPEHASH, parts[i].dueDate, parts[i].amount));
        }
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    ARREARS_PLAN_TYPEHASH,
                    loanId,
                    keccak256(abi.encodePacked(hashes)),
                    _useNonce(h.borrower, uint192(loanId)),
                    deadline
                )
            )
        );
        if (!SignatureChecker.isValidSignatureNow(h.borrower, digest, signature)) {
            revert ILoanLedger.LoanLedgerInvalidSignature(h.borrower);
        }
    }

    /// @dev The offer on `loanId`, if one exists and `paidAt` is not after its deadline.
    function _offer(uint256 loanId, uint256 paidAt) private view returns (SettlementOffer memory offer) {
        offer = _settlementOffers[loanId];
        if (offer.amount == 0) revert LoanLedgerNoSettlementOffer(loanId);
        if (paidAt > offer.deadline) revert LoanLedgerSettlementExpired(loanId, offer.deadline);
    }

    function _settle(
        uint256 loanId,
        Loan storage loan,
        ScheduleStore.Header memory h,
        uint256 amount,
        uint64 paidAt,
        bytes32 bankRef,
        bool offChain
    ) private {
        _requireOpen(loanId, loan);
        delete _settlementOffers[loanId];
        SettlementFigures memory f = ReliefLogic.settle(loan, h, amount);
        emit LoanSettled(loanId, msg.sender, amount, f, paidAt, bankRef, offChain);
    }
}
