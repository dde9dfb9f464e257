// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {NoncesKeyed} from "@openzeppelin/contracts/utils/NoncesKeyed.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ILoanLedger} from "./interfaces/ILoanLedger.sol";
import {LoanLedgerStorage} from "./LoanLedgerStorage.sol";
import {LoanMath} from "./libraries/LoanMath.sol";
import {PolicyStore} from "./libraries/PolicyStore.sol";
import {ScheduleStore} from "./libraries/ScheduleStore.sol";
import {LoanLogic} from "./libraries/LoanLogic.sol";
import {LoanBits, ScheduleRef} from "./libraries/LoanBits.sol";
import {Jurisdictions} from "./libraries/Jurisdictions.sol";
import {LoanRelief} from "./LoanRelief.sol";
import {ILoanRelief} from "./interfaces/ILoanRelief.sol";

/// @title LoanLedger
/// @notice Financed loans on chain: schedules, repayments, delinquency, default interest and the
/// events a collection operation runs on. Many lenders share one deployment; each manages only its
/// own loans. The arithmetic is stated in docs/ledger-rules.md and implemented in LoanLogic.
/// @dev Entry points only: checks, then LoanLogic. Pause stops registration, policy changes,
/// appointing servicers, servicers' off-chain attestations, restructuring, charge-offs, write-offs
/// and pokes. It never stops a borrower's (or anyone's) {repay}, the lender's own
/// {recordRepayment}, or the lender revoking a servicer.
/// Relief (ILoanRelief: payment holidays, arrears plans, settlements) lives in a module this contract deploys and
/// delegates every selector it does not have to, so the ledger stays under the EIP-170 code-size
/// limit while relief runs on the same storage, at the same address and with the same events.
contract LoanLedger is
    ILoanLedger,
    LoanLedgerStorage,
    AccessControl,
    Pausable,
    ReentrancyGuardTransient,
    NoncesKeyed,
    EIP712
{
    using SafeERC20 for IERC20;
    using LoanLogic for Loan;

    bytes32 public constant LENDER_ROLE = keccak256("LENDER_ROLE");
    /// @dev Read-everything role for auditors and regulators (used by the API; no write rights).
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");
    /// @dev EIP-712: the borrower signs the installments themselves, so a wallet can show them
    /// (src/chain/typed-data.ts builds the same typed data).
    bytes32 public constant RESTRUCTURE_TYPEHASH = keccak256(
        "Restructure(uint256 loanId,uint16 version,Installment[] schedule,uint256 nonce,uint256 deadline)"
        "Installment(uint64 dueDate,uint256 principal,uint256 interest)"
    );
    bytes32 public constant INSTALLMENT_TYPEHASH = keccak256("Installment(uint64 dueDate,uint256 principal,uint256 interest)");
    /// @notice The most installments a schedule version may have (src/domain's MAX_INSTALLMENTS equals it).
    uint256 public constant MAX_INSTALLMENTS = LoanLogic.MAX_INSTALLMENTS;
    /// @dev Loans checkUpkeep returns at most, so performUpkeep stays well inside a block.
    uint256 public constant MAX_UPKEEP_BATCH = 100;
    /// @dev The relief module (LoanRelief), deployed with the ledger; it inherits this contract's
    /// storage layout (test/contracts/LoanRelief.test.ts checks they match).
    address private immutable _RELIEF;

    constructor(address admin, uint16 maxAnnualRateBps_) EIP712("Duetrail LoanLedger", "1") {
        _RELIEF = address(new LoanRelief());
        if (maxAnnualRateBps_ == 0) revert LoanLedgerInvalidMaxRate(maxAnnualRateBps_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _maxAnnualRateBps = maxAnnualRateBps_;
        emit MaxAnnualRateSet(0, maxAnnualRateBps_);
        Policy memory p = PolicyStore.defaults();
        _policies[0] = PolicyStore.pack(p);
        _policyCount = 1;
        emit PolicySet(address(0), 0, p);
    }

    // ------------------------------------------------------------------ admin

    /// @inheritdoc ILoanLedger
    function setMaxAnnualRate(uint16 maxAnnualRateBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (maxAnnualRateBps_ == 0) revert LoanLedgerInvalidMaxRate(maxAnnualRateBps_);
        emit MaxAnnualRateSet(_maxAnnualRateBps, maxAnnualRateBps_);
        _maxAnnualRateBps = maxAnnualRateBps_;
    }

    /// @inheritdoc ILoanLedger
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @inheritdoc ILoanLedger
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @notice Relief (ILoanRelief): selectors the ledger does not have run in the relief module, on
    /// the ledger's storage. Not payable; an unknown selector reverts there with no data.
    /// @dev OpenZeppelin's Proxy._delegate is not memory-safe assembly, which would cost this contract
    /// the compiler's stack-to-memory moves; this copies through free memory instead.
    fallback() external {
        _delegateToModule();
    }

    /// @dev Runs this call (its whole calldata) in the module and returns or reverts with its result.
    function _delegateToModule() private {
        address relief = _RELIEF;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, 0, calldatasize())
            let ok := delegatecall(gas(), relief, ptr, calldatasize(), 0, 0)
            returndatacopy(ptr, 0, returndatasize())
            if iszero(ok) { revert(ptr, returndatasize()) }
            return(ptr, returndatasize())
        }
    }

    // ------------------------------------------------------------------ lender

    /// @inheritdoc ILoanLedger
    /// @dev Runs in the module (LoanRelief.setPolicy, with LENDER_ROLE and not paused), which keeps
    /// this contract's code within EIP-170; the selector stays the ledger's.
    function setPolicy(Policy calldata) external returns (uint32) {
        _delegateToModule();
    }

    /// @inheritdoc ILoanLedger
    function setCollectionStrategy(bytes32 strategyHash) external onlyRole(LENDER_ROLE) whenNotPaused {
        if (strategyHash == bytes32(0)) revert LoanLedgerZeroStrategyHash();
        _collectionStrategy[msg.sender] = strategyHash;
        emit CollectionStrategySet(msg.sender, _currentPolicy[msg.sender], strategyHash);
    }

    /// @inheritdoc ILoanLedger
    function setServicer(address servicer, bool allowed) external onlyRole(LENDER_ROLE) {
        // Revoking stays possible while paused: the emergency may be a compromised servicer.
        if (allowed) _requireNotPaused();
        _servicers[msg.sender][servicer] = allowed;
        emit ServicerSet(msg.sender, servicer, allowed);
    }

    /// @inheritdoc ILoanLedger
    function registerLoan(LoanParams calldata params) external onlyRole(LENDER_ROLE) whenNotPaused returns (uint256) {
        uint32 policyId = _currentPolicy[msg.sender];
        return _register(params, policyId, _penaltyTermsOf(_policies[policyId]));
    }

    /// @inheritdoc ILoanLedger
    function registerLoans(LoanParams[] calldata params)
        external
        onlyRole(LENDER_ROLE)
        whenNotPaused
        returns (uint256 firstLoanId)
    {
        if (params.length == 0) revert LoanLedgerEmptyBatch();
        uint32 policyId = _currentPolicy[msg.sender];
        PenaltyTerms memory terms = _penaltyTermsOf(_policies[policyId]);
        firstLoanId = _register(params[0], policyId, terms);
        for (uint256 i = 1; i < params.length; ++i) {
            uint256 free;
            /// @solidity memory-safe-assembly
            assembly {
                free := mload(0x40)
            }
            _register(params[i], policyId, terms);
            // As in _poke: each loan of the batch reuses the memory of the one before.
            /// @solidity memory-safe-assembly
            assembly {
                mstore(0x40, free)
            }
        }
    }

    /// @inheritdoc ILoanLedger
    function recordRepayment(uint256 loanId, uint256 amount, uint64 paidAt, bytes32 bankRef) external nonReentrant {
        Loan storage loan = _loan(loanId);
        ScheduleStore.Header memory h = ScheduleStore.readHeader(loan.schedule);
        if (msg.sender != h.lender) {
            if (!_servicers[h.lender][msg.sender]) revert LoanLedgerNotLenderOrServicer(msg.sender, loanId);
            // A servicer's attestations stop while paused (they can close loans); the lender's own never do.
            _requireNotPaused();
        }
        // Bounded by the version's start, not by the last payment: a third party's repay must not
        // block the attestation of money received earlier (applied at the last payment's time).
        if (paidAt < h.startedAt || paidAt > block.timestamp) {
            revert LoanLedgerPaidAtOutOfRange(paidAt, h.startedAt, uint64(block.timestamp));
        }
        _repay(loanId, loan, h, amount, paidAt, bankRef, true);
    }

    /// @inheritdoc ILoanLedger
    function chargeOff(uint256 loanId) external whenNotPaused nonReentrant {
        (Loan storage loan, ScheduleStore.Header memory h) = _lenderLoan(loanId);
        if (loan.status != LoanStatus.Active) revert LoanLedgerLoanNotActive(loanId, loan.status);
        loan.status = LoanStatus.ChargedOff;
        (uint256 principal, uint256 interest) = loan.outstanding();
        LoanLogic.Figures memory f = loan.figures(h, block.timestamp);
        emit LoanChargedOff(loanId, principal, interest, f.penaltyOutstanding, uint32(f.dpd));
    }

    /// @inheritdoc ILoanLedger
    function writeOff(uint256 loanId) external whenNotPaused nonReentrant {
        (Loan storage loan, ScheduleStore.Header memory h) = _lenderLoan(loanId);
        _requireOpen(loanId, loan);
        LoanLogic.Figures memory f = loan.figures(h, block.timestamp);
        (uint256 principal, uint256 interest) = loan.outstanding();
        loan.status = LoanStatus.WrittenOff;
        emit LoanWrittenOff(loanId, principal, interest, f.penaltyOutstanding, uint32(f.dpd));
    }

    /// @inheritdoc ILoanLedger
    function proposeRestructure(uint256 loanId, Installment[] calldata schedule) external whenNotPaused {
        (Loan storage loan, ScheduleStore.Header memory h) = _lenderLoan(loanId);
        if (loan.status != LoanStatus.Active) revert LoanLedgerLoanNotActive(loanId, loan.status);
        LoanLogic.validateSchedule(schedule, type(uint256).max, block.timestamp);
        bytes32 scheduleHash = keccak256(abi.encode(schedule));
        _pendingRestructure[loanId] = scheduleHash;
        emit RestructureProposed(loanId, h.version + 1, scheduleHash, schedule);
    }

    /// @inheritdoc ILoanLedger
    function restructureWithSignature(
        uint256 loanId,
        Installment[] calldata schedule,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused nonReentrant {
        (Loan storage loan, ScheduleStore.Header memory h) = _lenderLoan(loanId);
        if (block.timestamp > deadline) revert LoanLedgerExpiredSignature(deadline);
        // One nonce sequence per loan (key = loan id, never 0: ids start at 1), so offers on two
        // loans of one borrower do not invalidate each other.
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    RESTRUCTURE_TYPEHASH, loanId, h.version + 1, _hashInstallments(schedule), _useNonce(h.borrower, uint192(loanId)), deadline
                )
            )
        );
        if (!SignatureChecker.isValidSignatureNow(h.borrower, digest, signature)) {
            revert LoanLedgerInvalidSignature(h.borrower);
        }
        _restructure(loanId, loan, h, schedule, keccak256(abi.encode(schedule)));
    }

    // ------------------------------------------------------------------ borrower and anyone

    /// @inheritdoc ILoanLedger
    function repay(uint256 loanId, uint256 amount) external nonReentrant {
        Loan storage loan = _loan(loanId);
        ScheduleStore.Header memory h = ScheduleStore.readHeader(loan.schedule);
        if (h.token == address(0)) revert LoanLedgerNotTokenLoan(loanId);
        if (amount == 0) revert LoanLedgerZeroAmount();
        IERC20 token = IERC20(h.token);
        // Credit what the lender actually received, so fee-on-transfer tokens are booked exactly.
        uint256 before = token.balanceOf(h.lender);
        token.safeTransferFrom(msg.sender, h.lender, amount);
        _repay(loanId, loan, h, token.balanceOf(h.lender) - before, uint64(block.timestamp), bytes32(0), false);
    }

    /// @inheritdoc ILoanLedger
    function acceptRestructure(uint256 loanId, Installment[] calldata schedule) external whenNotPaused nonReentrant {
        Loan storage loan = _loan(loanId);
        ScheduleStore.Header memory h = ScheduleStore.readHeader(loan.schedule);
        if (msg.sender != h.borrower) revert LoanLedgerNotBorrower(msg.sender, loanId);
        bytes32 pending = _pendingRestructure[loanId];
        if (pending == bytes32(0)) revert LoanLedgerNoPendingRestructure(loanId);
        bytes32 scheduleHash = keccak256(abi.encode(schedule));
        if (scheduleHash != pending) revert LoanLedgerScheduleMismatch(pending, scheduleHash);
        _restructure(loanId, loan, h, schedule, scheduleHash);
    }

    /// @inheritdoc ILoanLedger
    function poke(uint256[] calldata loanIds) external whenNotPaused nonReentrant {
        for (uint256 i; i < loanIds.length; ++i) {
            _poke(loanIds[i], _loan(loanIds[i]));
        }
    }

    /// @notice Chainlink Automation: finds loans with something due. `checkData` is empty (scan all
    /// loans) or abi.encode(uint256 fromId, uint256 toId) to split the book between upkeeps.
    /// @return upkeepNeeded Whether any loan has something due.
    /// @return performData abi.encode(uint256[] loanIds), at most MAX_UPKEEP_BATCH ids.
    function checkUpkeep(bytes calldata checkData)
        external
        view
        returns (bool upkeepNeeded, bytes memory performData)
    {
        (uint256 from, uint256 to) = checkData.length == 0 ? (1, _loanCount) : abi.decode(checkData, (uint256, uint256));
        if (to > _loanCount) to = _loanCount;
        uint256[] memory ids = new uint256[](MAX_UPKEEP_BATCH);
        uint256 n;
        for (uint256 id = from == 0 ? 1 : from; id <= to && n < MAX_UPKEEP_BATCH; ++id) {
            if (_needsPoke(_loans[id])) ids[n++] = id;
        }
        /// @solidity memory-safe-assembly
        assembly {
            mstore(ids, n) // Shrink to the ids found.
        }
        return (n > 0, abi.encode(ids));
    }

    /// @notice Chainlink Automation: pokes the loans in `performData` that still have something
    /// due; it re-checks each one rather than trusting the data.
    /// @dev Requirements: not paused; at least one loan still has something due.
    function performUpkeep(bytes calldata performData) external whenNotPaused nonReentrant {
        uint256[] memory ids = abi.decode(performData, (uint256[]));
        uint256 poked;
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] == 0 || ids[i] > _loanCount) continue;
            Loan storage loan = _loans[ids[i]];
            if (_needsPoke(loan)) {
                _poke(ids[i], loan);
                ++poked;
            }
        }
        if (poked == 0) revert LoanLedgerNothingToPoke();
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ILoanLedger
    function maxAnnualRateBps() external view returns (uint16) {
        return _maxAnnualRateBps;
    }

    /// @inheritdoc ILoanLedger
    function loanCount() external view returns (uint256) {
        return _loanCount;
    }

    /// @inheritdoc ILoanLedger
    function policy(uint32 policyId) external view returns (Policy memory) {
        if (policyId >= _policyCount) revert LoanLedgerUnknownPolicy(policyId);
        return PolicyStore.unpack(_policies[policyId]);
    }

    /// @inheritdoc ILoanLedger
    function currentPolicyOf(address lender) external view returns (uint32) {
        return _currentPolicy[lender];
    }

    /// @inheritdoc ILoanLedger
    function collectionStrategyOf(address lender) external view returns (bytes32 strategyHash) {
        return _collectionStrategy[lender];
    }

    /// @inheritdoc ILoanLedger
    function isServicer(address lender, address servicer) external view returns (bool) {
        return _servicers[lender][servicer];
    }

    /// @inheritdoc ILoanLedger
    function loanTerms(uint256 loanId) external view returns (LoanTerms memory t) {
        Loan storage loan = _loan(loanId);
        ScheduleStore.Header memory h = ScheduleStore.readHeader(loan.schedule);
        t = LoanTerms({
            lender: h.lender,
            borrower: h.borrower,
            token: h.token,
            currency: h.currency,
            borrowerRef: h.borrowerRef,
            principal: h.principal,
            contractRateBps: h.contractRateBps,
            utcOffsetMinutes: h.utcOffsetMinutes,
            jurisdiction: h.jurisdiction,
            policyId: h.policyId,
            startedAt: h.startedAt,
            version: h.version,
            installmentCount: loan.count,
            penalty: h.penalty
        });
    }

    /// @inheritdoc ILoanLedger
    function loanState(uint256 loanId) external view returns (LoanState memory) {
        Loan storage loan = _loan(loanId);
        return loan.state(ScheduleStore.readHeader(loan.schedule), _policies, block.timestamp);
    }

    /// @inheritdoc ILoanLedger
    function loanParties(uint256 loanId) external view returns (address, address, int16) {
        ScheduleStore.Header memory h = ScheduleStore.readHeader(_loan(loanId).schedule);
        return (h.lender, h.borrower, h.utcOffsetMinutes);
    }

    /// @inheritdoc ILoanLedger
    function daysPastDue(uint256 loanId) external view returns (uint32) {
        return uint32(_loan(loanId).dpdAt(block.timestamp));
    }

    /// @inheritdoc ILoanLedger
    function collectionContext(uint256 loanId) external view returns (address, int16, uint32, bytes6) {
        Loan storage loan = _loan(loanId);
        (address lender, int16 utcOffset, bytes6 jurisdiction) = ScheduleStore.readContext(loan.schedule);
        return (lender, utcOffset, uint32(loan.dpdAt(block.timestamp)), jurisdiction);
    }

    /// @inheritdoc ILoanLedger
    function scheduleOf(uint256 loanId, uint16 version) external view returns (Installment[] memory) {
        Loan storage loan = _loan(loanId);
        if (version == ScheduleStore.readHeader(loan.schedule).version) {
            return ScheduleStore.readAll(loan.schedule, loan.widthOf(), loan.count);
        }
        ScheduleRef previous = _previousSchedules[loanId][version];
        if (previous.isEmpty()) revert LoanLedgerUnknownVersion(loanId, version);
        return ScheduleStore.readAll(previous.blob(), previous.width(), previous.count());
    }

    /// @inheritdoc ILoanLedger
    function pendingRestructure(uint256 loanId) external view returns (bytes32) {
        return _pendingRestructure[loanId];
    }

    /// @inheritdoc ILoanLedger
    function nonces(address owner) public view override(ILoanLedger, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @inheritdoc ILoanLedger
    function nonces(address owner, uint192 key) public view override(ILoanLedger, NoncesKeyed) returns (uint256) {
        return super.nonces(owner, key);
    }

    // ------------------------------------------------------------------ internals

    function _loan(uint256 loanId) internal view returns (Loan storage loan) {
        loan = _loans[loanId];
        if (loan.schedule == address(0)) revert LoanLedgerUnknownLoan(loanId);
    }

    function _lenderLoan(uint256 loanId) internal view returns (Loan storage loan, ScheduleStore.Header memory h) {
        loan = _loan(loanId);
        h = ScheduleStore.readHeader(loan.schedule);
        if (msg.sender != h.lender) revert LoanLedgerNotLender(msg.sender, loanId);
    }

    function _requireOpen(uint256 loanId, Loan storage loan) internal view {
        LoanStatus s = loan.status;
        if (s != LoanStatus.Active && s != LoanStatus.ChargedOff) revert LoanLedgerLoanNotOpen(loanId, s);
    }

    /// @dev The policy's penalty terms; capRoomBps is filled in per loan.
    function _penaltyTermsOf(PolicyStore.Packed storage pol) internal view returns (PenaltyTerms memory) {
        return PenaltyTerms({
            graceDays: pol.graceDays,
            penaltyRateBps: pol.penaltyRateBps,
            capRoomBps: 0,
            lateFee: pol.lateFee
        });
    }

    function _register(LoanParams calldata p, uint32 policyId, PenaltyTerms memory policyTerms)
        internal
        returns (uint256 loanId)
    {
        if (p.borrower == address(0)) revert LoanLedgerInvalidBorrower(p.borrower);
        if ((p.token == address(0)) == (p.currency == bytes3(0))) revert LoanLedgerInvalidSettlement(p.token, p.currency);
        if (p.utcOffsetMinutes < -720 || p.utcOffsetMinutes > 840) revert LoanLedgerInvalidUtcOffset(p.utcOffsetMinutes);
        if (p.principal == 0) revert LoanLedgerZeroPrincipal();
        if (!Jurisdictions.isValid(p.jurisdiction)) revert LoanLedgerInvalidJurisdiction(p.jurisdiction);
        (uint16 cap,) = _capOf(p.jurisdiction);
        if (uint256(p.contractRateBps) + policyTerms.penaltyRateBps > cap) {
            revert LoanLedgerRateAboveCap(p.contractRateBps, policyTerms.penaltyRateBps, cap);
        }
        uint256 width = LoanLogic.validateSchedule(p.schedule, p.principal, block.timestamp);
        PenaltyTerms memory terms = PenaltyTerms({
            graceDays: policyTerms.graceDays,
            penaltyRateBps: policyTerms.penaltyRateBps,
            // Safe: contractRateBps <= cap was checked above.
            capRoomBps: cap - p.contractRateBps,
            lateFee: policyTerms.lateFee
        });
        address blob = ScheduleStore.write(
            ScheduleStore.Header({
                lender: msg.sender,
                borrower: p.borrower,
                token: p.token,
                currency: p.currency,
                borrowerRef: p.borrowerRef,
                principal: uint96(p.principal),
                contractRateBps: p.contractRateBps,
                utcOffsetMinutes: p.utcOffsetMinutes,
                policyId: policyId,
                startedAt: uint40(block.timestamp),
                version: 1,
                jurisdiction: p.jurisdiction,
                penalty: terms
            }),
            p.schedule,
            width
        );
        loanId = ++_loanCount;
        LoanLogic.initialize(_loans[loanId], blob, p.schedule.length, width);
        _emitRegistered(loanId, p, policyId, terms);
    }

    function _emitRegistered(uint256 loanId, LoanParams calldata p, uint32 policyId, PenaltyTerms memory terms) internal {
        emit LoanRegistered(
            loanId,
            msg.sender,
            p.borrower,
            p.borrowerRef,
            p.token,
            p.currency,
            p.principal,
            p.contractRateBps,
            p.utcOffsetMinutes,
            p.jurisdiction,
            policyId,
            terms,
            p.schedule
        );
    }

    function _repay(
        uint256 loanId,
        Loan storage loan,
        ScheduleStore.Header memory h,
        uint256 amount,
        uint64 at,
        bytes32 bankRef,
        bool offChain
    ) internal {
        _requireOpen(loanId, loan);
        if (amount == 0) revert LoanLedgerZeroAmount();
        bool recovery = loan.status == LoanStatus.ChargedOff;
        LoanLogic.Breakdown memory b = loan.applyRepayment(loanId, h, amount, at);
        emit LoanRepaid(loanId, msg.sender, amount, b.penalty, b.interest, b.principal, loan.cursor, at, bankRef, offChain, recovery);
        loan.afterRepayment(loanId, h, _policies);
    }

    /// @dev EIP-712 encoding of an Installment[]: keccak256 of the concatenated hashStructs.
    function _hashInstallments(Installment[] calldata schedule) internal pure returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](schedule.length);
        for (uint256 i; i < schedule.length; ++i) {
            // A static struct encodes in place: (typehash, dueDate, principal, interest).
            hashes[i] = keccak256(abi.encode(INSTALLMENT_TYPEHASH, schedule[i]));
        }
        return keccak256(abi.encodePacked(hashes));
    }

    function _needsPoke(Loan storage loan) internal view returns (bool due) {
        LoanStatus s = loan.status;
        if (loan.schedule == address(0) || (s != LoanStatus.Active && s != LoanStatus.ChargedOff)) return false;
        uint256 free;
        /// @solidity memory-safe-assembly
        assembly {
            free := mload(0x40)
        }
        ScheduleStore.Header memory h = ScheduleStore.readHeader(loan.schedule);
        due = loan.plan(h, _policies[h.policyId], block.timestamp).due;
        // As in _poke: checkUpkeep's scan reuses the memory of each loan it looks at.
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x40, free)
        }
    }

    function _poke(uint256 loanId, Loan storage loan) internal {
        LoanStatus s = loan.status;
        if (s != LoanStatus.Active && s != LoanStatus.ChargedOff) return;
        uint256 free;
        /// @solidity memory-safe-assembly
        assembly {
            free := mload(0x40)
        }
        if (loan.flags.relief()) {
            // A holiday or an arrears plan is in force: the relief module closes or judges it.
            (bool ok, bytes memory reason) = _RELIEF.delegatecall(abi.encodeCall(ILoanRelief.pokeUnderRelief, (loanId)));
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
        } else {
            ScheduleStore.Header memory h = ScheduleStore.readHeader(loan.schedule);
            loan.poke(loanId, h, _policies[h.policyId]);
        }
        // Nothing allocated above outlives this loan's poke: a batch (poke, performUpkeep) reuses the
        // memory for the next loan rather than paying for ever more of it (memory costs grow with
        // the square of its size).
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x40, free)
        }
    }

    function _restructure(
        uint256 loanId,
        Loan storage loan,
        ScheduleStore.Header memory h,
        Installment[] calldata schedule,
        bytes32 scheduleHash
    ) internal {
        if (loan.status != LoanStatus.Active) revert LoanLedgerLoanNotActive(loanId, loan.status);
        // A poke at or after its end closes a holiday, and one at a part's date may end a plan; until then they stand.
        if (loan.flags.relief()) {
            if (loan.holidayEnd != 0) revert LoanLedgerHolidayInForce(loanId, uint64(loan.holidayEnd));
            revert LoanLedgerArrearsPlanInForce(loanId);
        }
        _previousSchedules[loanId][h.version] = LoanBits.toScheduleRef(loan.schedule, loan.count, loan.widthOf());
        delete _pendingRestructure[loanId];
        loan.restructure(loanId, h, schedule, scheduleHash);
    }
}
