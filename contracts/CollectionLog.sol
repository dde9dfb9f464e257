// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {ICollectionLog} from "./interfaces/ICollectionLog.sol";
import {IPlacements} from "./interfaces/IPlacements.sol";
import {ILoanLedger} from "./interfaces/ILoanLedger.sol";
import {Compliance} from "./libraries/Compliance.sol";
import {Jurisdictions} from "./libraries/Jurisdictions.sol";
import {TrailHash} from "./libraries/TrailHash.sol";

/// @title CollectionLog
/// @notice The collection evidence trail of LoanLedger's loans: collector assignments, a hash chain
/// of actions per loan, compliance flags, borrower restrictions and disputes, and Merkle-anchored
/// batches for high volume. See {ICollectionLog} for the exact encoding.
/// @dev Nothing here can be paused: refusing to record what happened would hide it.
/// A collector records an action itself ({recordAction}) or signs it for anyone to submit
/// ({recordActionBySig}); either way the trail names the collector, never a relayer.
contract CollectionLog is ICollectionLog, IPlacements, AccessControl, Nonces, EIP712 {
    /// @dev Per-loan trail, two words:
    /// word 0 | head (256) — zero until the first action (head_0 is computed, never stored)
    /// word 1 | count (32) | window day (32) | call ring (112) | connected ring (64) |
    ///        | restricted channels (8) | state (8: bit 0 dispute open, bit 1 opened)
    /// The first assignment of a collector to a loan sets "opened", so word 1 is never zero when
    /// the first action is recorded: the assignment pays for the fresh slot, not the action.
    struct Trail {
        bytes32 head;
        uint32 count;
        uint32 windowDay;
        uint112 calls;
        uint64 connected;
        uint8 restricted;
        uint8 state;
    }

    /// @dev A lender's policy word: the policy and whether the lender set one.
    struct StoredPolicy {
        ContactPolicy policy;
        bool set;
    }

    /// @dev EIP-712 type of a signed action (src/chain/typed-data.ts builds the same typed data).
    bytes32 public constant RECORD_ACTION_TYPEHASH = keccak256(
        "RecordAction(uint256 loanId,uint8 channel,uint8 kind,uint16 outcome,uint64 occurredAt,bytes32 evidenceHash,"
        "address collector,uint256 nonce,uint256 deadline)"
    );
    bytes32 private constant _LENDER_ROLE = keccak256("LENDER_ROLE");
    uint8 private constant _DISPUTE_OPEN = 1;
    uint8 private constant _OPENED = 2;
    uint8 private constant _MAX_CHANNEL = 7;
    uint8 private constant _MAX_KIND = 6;
    /// @notice The most loans one {placeLoans} takes (about 30k gas each).
    uint256 public constant MAX_PLACEMENT_LOANS = 200;

    ILoanLedger public immutable ledger;

    /// @dev Admin caps on every lender's policy.
    ContactPolicy private _caps;
    /// @dev Id of the next anchored batch; starts at 1, so anchoring never pays for a fresh slot.
    uint256 private _nextBatchId = 1;
    mapping(uint256 loanId => Trail) private _trails;
    mapping(address lender => StoredPolicy) private _policies;
    mapping(uint256 loanId => mapping(address collector => bool)) private _assigned;
    /// @dev Loans a collector is assigned to now (anchoring needs at least one).
    mapping(address collector => uint256) private _assignmentCount;
    mapping(uint256 batchId => bytes32 root) private _batchRoots;
    /// @dev The admin's contact rules per jurisdiction (ISO 3166), packed (see {_packRules}); 0 = none set.
    mapping(bytes6 jurisdiction => uint48) private _jurisdictionRules;
    /// @dev Placements by id (from 1); a loan's latest placement; the agency collectors of a loan, by the placement that let them in.
    mapping(uint256 placementId => Placement) private _placements;
    uint256 private _placementCount;
    mapping(uint256 loanId => uint256 placementId) private _placementOfLoan;
    mapping(uint256 loanId => mapping(address collector => uint256 placementId)) private _agencyCollectors;

    constructor(ILoanLedger ledger_, address admin) EIP712("Duetrail CollectionLog", "1") {
        ledger = ledger_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        ContactPolicy memory defaults = _defaultPolicy();
        _setCaps(defaults);
    }

    // ------------------------------------------------------------------ admin and lender

    /// @inheritdoc ICollectionLog
    function setCaps(ContactPolicy calldata caps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setCaps(caps_);
    }

    /// @inheritdoc ICollectionLog
    function setJurisdictionRules(bytes6 jurisdiction, JurisdictionRules calldata rules) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (!Jurisdictions.isValid(jurisdiction)) revert CollectionLogInvalidJurisdiction(jurisdiction);
        if (rules.contactStartHour >= rules.contactEndHour || rules.contactEndHour > 24 || rules.coolDownDaysAfterConversation > 7) {
            revert CollectionLogInvalidJurisdictionRules(rules);
        }
        _jurisdictionRules[jurisdiction] = _packRules(rules);
        emit JurisdictionRulesSet(jurisdiction, rules, true);
    }

    /// @inheritdoc ICollectionLog
    function removeJurisdictionRules(bytes6 jurisdiction) external onlyRole(DEFAULT_ADMIN_ROLE) {
        JurisdictionRules memory none;
        delete _jurisdictionRules[jurisdiction];
        emit JurisdictionRulesSet(jurisdiction, none, false);
    }

    /// @inheritdoc ICollectionLog
    function setContactPolicy(ContactPolicy calldata p) external {
        if (!IAccessControl(address(ledger)).hasRole(_LENDER_ROLE, msg.sender)) revert CollectionLogNotLenderRole(msg.sender);
        ContactPolicy memory c = _caps;
        bool ok = p.maxConnectedCallsPerDay >= 1 && p.maxConnectedCallsPerDay <= c.maxConnectedCallsPerDay
            && p.maxCallAttemptsPer7Days >= 1 && p.maxCallAttemptsPer7Days <= c.maxCallAttemptsPer7Days
            && p.contactStartHour >= c.contactStartHour && p.contactStartHour < p.contactEndHour
            && p.contactEndHour <= c.contactEndHour && p.actionWindowDays >= 1
            && p.actionWindowDays <= c.actionWindowDays && p.legalStageDpd >= c.legalStageDpd;
        if (!ok) revert CollectionLogPolicyOutsideCaps(p, c);
        _policies[msg.sender] = StoredPolicy(p, true);
        emit ContactPolicySet(msg.sender, p);
    }

    /// @inheritdoc ICollectionLog
    function assignCollector(uint256[] calldata loanIds, address collector) external {
        if (collector == address(0)) revert CollectionLogInvalidCollector(collector);
        for (uint256 i; i < loanIds.length; ++i) {
            uint256 loanId = loanIds[i];
            _requireLender(loanId);
            if (_assigned[loanId][collector]) revert CollectionLogAlreadyAssigned(loanId, collector);
            _assigned[loanId][collector] = true;
            Trail storage t = _trails[loanId];
            if (t.state & _OPENED == 0) t.state |= _OPENED;
            emit CollectorAssigned(loanId, collector, msg.sender);
        }
        _assignmentCount[collector] += loanIds.length;
    }

    /// @inheritdoc ICollectionLog
    function unassignCollector(uint256 loanId, address collector) external {
        _requireLender(loanId);
        if (!_assigned[loanId][collector] && !mayWorkPlaced(loanId, collector)) revert CollectionLogNotAssigned(loanId, collector);
        _assigned[loanId][collector] = false;
        --_assignmentCount[collector];
        emit CollectorUnassigned(loanId, collector, msg.sender);
    }

    /// @inheritdoc ICollectionLog
    function resolveDispute(uint256 loanId, bytes32 validationHash) external {
        _requireLender(loanId);
        Trail storage t = _trails[loanId];
        if (t.state & _DISPUTE_OPEN == 0) revert CollectionLogNoOpenDispute(loanId);
        t.state &= ~_DISPUTE_OPEN;
        emit DisputeResolved(loanId, validationHash);
    }

    // ------------------------------------------------------------------ placements

    /// @inheritdoc IPlacements
    function placeLoans(uint256[] calldata loanIds, address agency, uint16 commissionBps, uint64 start, uint64 end)
        external
        returns (uint256 placementId)
    {
        uint256 n = loanIds.length;
        if (n == 0 || n > MAX_PLACEMENT_LOANS) revert CollectionLogInvalidPlacementSize(n, MAX_PLACEMENT_LOANS);
        if (agency == address(0) || agency == msg.sender) revert CollectionLogInvalidAgency(agency);
        if (commissionBps > 10_000) revert CollectionLogInvalidCommission(commissionBps);
        if (start < block.timestamp || end <= start || end > type(uint40).max) {
            revert CollectionLogInvalidPlacementPeriod(start, end, block.timestamp);
        }
        placementId = ++_placementCount;
        // Stored first, so a loan named twice finds itself in a placement that has not ended.
        _placements[placementId] = Placement(msg.sender, uint40(start), uint40(end), commissionBps, agency, 0, uint32(n));
        for (uint256 i; i < n; ++i) {
            uint256 loanId = loanIds[i];
            _requireLender(loanId);
            uint256 previous = _placementOfLoan[loanId];
            if (previous != 0 && !_over(_placements[previous])) revert CollectionLogLoanPlaced(loanId, previous);
            _placementOfLoan[loanId] = placementId;
        }
        emit PlacementCreated(placementId, msg.sender, agency, commissionBps, start, end, loanIds);
    }

    /// @inheritdoc IPlacements
    function recallPlacement(uint256 placementId) external {
        Placement storage p = _placementFor(placementId);
        if (msg.sender != p.lender) revert CollectionLogNotPlacementLender(msg.sender, placementId);
        if (_over(p)) revert CollectionLogPlacementOver(placementId);
        p.recalledAt = uint40(block.timestamp);
        emit PlacementRecalled(placementId, uint64(block.timestamp));
    }

    /// @inheritdoc IPlacements
    function assignAgencyCollector(uint256 placementId, uint256[] calldata loanIds, address collector) external {
        Placement storage p = _placementFor(placementId);
        if (msg.sender != p.agency) revert CollectionLogNotAgency(msg.sender, placementId);
        if (!_active(p)) revert CollectionLogPlacementNotActive(placementId, block.timestamp);
        if (collector == address(0)) revert CollectionLogInvalidCollector(collector);
        for (uint256 i; i < loanIds.length; ++i) {
            uint256 loanId = loanIds[i];
            if (_placementOfLoan[loanId] != placementId) revert CollectionLogNotInPlacement(loanId, placementId);
            if (_agencyCollectors[loanId][collector] == placementId) revert CollectionLogAlreadyAssigned(loanId, collector);
            _agencyCollectors[loanId][collector] = placementId;
            Trail storage t = _trails[loanId];
            if (t.state & _OPENED == 0) t.state |= _OPENED;
            emit AgencyCollectorAssigned(placementId, loanId, collector);
        }
    }

    /// @inheritdoc IPlacements
    function unassignAgencyCollector(uint256 placementId, uint256 loanId, address collector) external {
        Placement storage p = _placementFor(placementId);
        if (msg.sender != p.agency && msg.sender != p.lender) revert CollectionLogNotAgency(msg.sender, placementId);
        if (_agencyCollectors[loanId][collector] != placementId) revert CollectionLogNotAssigned(loanId, collector);
        delete _agencyCollectors[loanId][collector];
        emit AgencyCollectorUnassigned(placementId, loanId, collector);
    }

    // ------------------------------------------------------------------ collectors

    /// @inheritdoc ICollectionLog
    function recordAction(
        uint256 loanId,
        uint8 channel,
        uint8 kind,
        uint16 outcome,
        uint64 occurredAt,
        bytes32 evidenceHash
    ) external returns (uint64 seq, uint32 flags) {
        return _record(msg.sender, loanId, channel, kind, outcome, occurredAt, evidenceHash);
    }

    /// @inheritdoc ICollectionLog
    function recordActionBySig(ActionInput calldata action, address collector, uint256 deadline, bytes calldata signature)
        external
        returns (uint64 seq, uint32 flags)
    {
        if (block.timestamp > deadline) revert CollectionLogExpiredSignature(deadline);
        // The collector's current nonce is consumed inside the digest (as ERC20Permit does): a replay,
        // or a signature made for another nonce, hashes differently and fails the check below.
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(
                    RECORD_ACTION_TYPEHASH,
                    action.loanId,
                    action.channel,
                    action.kind,
                    action.outcome,
                    action.occurredAt,
                    action.evidenceHash,
                    collector,
                    _useNonce(collector),
                    deadline
                )
            )
        );
        if (!SignatureChecker.isValidSignatureNow(collector, digest, signature)) revert CollectionLogInvalidSignature(collector);
        return _record(collector, action.loanId, action.channel, action.kind, action.outcome, action.occurredAt, action.evidenceHash);
    }

    /// @inheritdoc ICollectionLog
    function recordActions(ActionInput[] calldata actions) external {
        if (actions.length == 0) revert CollectionLogEmptyBatch();
        for (uint256 i; i < actions.length; ++i) {
            ActionInput calldata a = actions[i];
            uint256 free;
            /// @solidity memory-safe-assembly
            assembly {
                free := mload(0x40)
            }
            _record(msg.sender, a.loanId, a.channel, a.kind, a.outcome, a.occurredAt, a.evidenceHash);
            // Nothing _record allocates outlives it: each action of the batch reuses the memory of
            // the one before, rather than paying a memory cost that grows with the square of the batch.
            /// @solidity memory-safe-assembly
            assembly {
                mstore(0x40, free)
            }
        }
    }

    /// @inheritdoc ICollectionLog
    function recordPromise(uint256 loanId, uint256 amount, uint64 dueBy, bytes32 artifactHash)
        external
        returns (uint64 seq)
    {
        if (amount == 0) revert CollectionLogZeroAmount();
        if (dueBy <= block.timestamp) revert CollectionLogPromiseDueInPast(dueBy, block.timestamp);
        bytes32 commitment = keccak256(abi.encode(amount, dueBy, artifactHash));
        (seq,) = _record(
            msg.sender, loanId, uint8(Channel.Other), uint8(Kind.PromiseToPay), 0, uint64(block.timestamp), commitment
        );
        emit PromiseRecorded(loanId, seq, amount, dueBy, artifactHash);
    }

    /// @inheritdoc ICollectionLog
    function anchorBatch(bytes32 merkleRoot, uint32 count, string calldata uri) external returns (uint256 batchId) {
        if (_assignmentCount[msg.sender] == 0 && !IAccessControl(address(ledger)).hasRole(_LENDER_ROLE, msg.sender)) {
            revert CollectionLogNotAnchorer(msg.sender);
        }
        if (merkleRoot == bytes32(0) || count == 0) revert CollectionLogInvalidBatch(merkleRoot, count);
        batchId = _nextBatchId++;
        _batchRoots[batchId] = merkleRoot;
        emit BatchAnchored(batchId, merkleRoot, count, uri, msg.sender);
    }

    /// @inheritdoc ICollectionLog
    function verifyBatchAction(
        uint256 batchId,
        uint256 loanId,
        uint64 seq,
        address collector,
        uint8 channel,
        uint8 kind,
        uint16 outcome,
        uint64 occurredAt,
        bytes32 evidenceHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 leaf = keccak256(
            bytes.concat(TrailHash.actionHash(loanId, seq, collector, channel, kind, outcome, occurredAt, evidenceHash))
        );
        bytes32 root = _batchRoots[batchId];
        return root != bytes32(0) && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    // ------------------------------------------------------------------ borrowers

    /// @inheritdoc ICollectionLog
    function restrictChannel(uint256 loanId, uint8 channel) external {
        _requireBorrower(loanId);
        if (channel > _MAX_CHANNEL) revert CollectionLogInvalidChannel(channel);
        _trails[loanId].restricted |= uint8(1 << channel);
        emit ChannelRestricted(loanId, channel);
    }

    /// @inheritdoc ICollectionLog
    function releaseChannel(uint256 loanId, uint8 channel) external {
        _requireBorrower(loanId);
        if (channel > _MAX_CHANNEL) revert CollectionLogInvalidChannel(channel);
        _trails[loanId].restricted &= ~uint8(1 << channel);
        emit ChannelReleased(loanId, channel);
    }

    /// @inheritdoc ICollectionLog
    function fileDispute(uint256 loanId, bytes32 evidenceHash) external {
        _requireBorrower(loanId);
        _trails[loanId].state |= _DISPUTE_OPEN;
        emit DisputeFiled(loanId, msg.sender, evidenceHash);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ICollectionLog
    function trailOf(uint256 loanId) external view returns (bytes32 head, uint64 count) {
        Trail storage t = _trails[loanId];
        count = t.count;
        head = count == 0 ? _genesis(loanId) : t.head;
    }

    /// @inheritdoc ICollectionLog
    function isAssigned(uint256 loanId, address collector) external view returns (bool) {
        return _assigned[loanId][collector];
    }

    /// @inheritdoc IPlacements
    function placement(uint256 placementId) external view returns (Placement memory) {
        return _placements[placementId];
    }

    /// @inheritdoc IPlacements
    function placementCount() external view returns (uint256) {
        return _placementCount;
    }

    /// @inheritdoc IPlacements
    function placementOfLoan(uint256 loanId) external view returns (uint256) {
        return _placementOfLoan[loanId];
    }

    /// @inheritdoc IPlacements
    function mayWorkPlaced(uint256 loanId, address account) public view returns (bool) {
        uint256 id = _placementOfLoan[loanId];
        if (id == 0) return false;
        Placement storage p = _placements[id];
        return _active(p) && (account == p.agency || _agencyCollectors[loanId][account] == id);
    }

    /// @inheritdoc ICollectionLog
    function contactPolicyOf(address lender) public view returns (ContactPolicy memory) {
        StoredPolicy storage s = _policies[lender];
        return s.set ? s.policy : _defaultPolicy();
    }

    /// @inheritdoc ICollectionLog
    function jurisdictionRulesOf(bytes6 jurisdiction) external view returns (JurisdictionRules memory rules, bool set) {
        uint256 packed = _rulesOf(jurisdiction);
        return (_unpackRules(packed), packed != 0);
    }

    /// @inheritdoc ICollectionLog
    function caps() external view returns (ContactPolicy memory) {
        return _caps;
    }

    /// @inheritdoc ICollectionLog
    function restrictedChannels(uint256 loanId) external view returns (uint8) {
        return _trails[loanId].restricted;
    }

    /// @inheritdoc ICollectionLog
    function disputeOpen(uint256 loanId) external view returns (bool) {
        return _trails[loanId].state & _DISPUTE_OPEN != 0;
    }

    /// @inheritdoc ICollectionLog
    function batchRoot(uint256 batchId) external view returns (bytes32) {
        return _batchRoots[batchId];
    }

    /// @inheritdoc ICollectionLog
    function batchCount() external view returns (uint256) {
        return _nextBatchId - 1;
    }

    /// @inheritdoc ICollectionLog
    function nonces(address owner) public view override(ICollectionLog, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    // ------------------------------------------------------------------ internals

    /// @dev The product defaults: 3 connected calls a day, 7 call attempts in 7 days, 08:00-21:00,
    /// legal steps from DPD 60, actions at most 7 days old.
    function _defaultPolicy() private pure returns (ContactPolicy memory) {
        return ContactPolicy({
            maxConnectedCallsPerDay: 3,
            maxCallAttemptsPer7Days: 7,
            contactStartHour: 8,
            contactEndHour: 21,
            legalStageDpd: 60,
            actionWindowDays: 7
        });
    }

    function _setCaps(ContactPolicy memory c) private {
        bool ok = c.maxConnectedCallsPerDay >= 1 && c.maxCallAttemptsPer7Days >= 1
            && c.contactStartHour < c.contactEndHour && c.contactEndHour <= 24 && c.actionWindowDays >= 1
            && c.actionWindowDays <= 7;
        if (!ok) revert CollectionLogInvalidCaps(c);
        _caps = c;
        emit CapsSet(c);
    }

    /// @dev Tightens `pol` to the jurisdiction's rules, if it (or its country) has any: the later start,
    /// the earlier end, the lower of each call limit; returns the cool-down after a conversation.
    function _applyJurisdiction(ContactPolicy memory pol, bytes6 jurisdiction) private view returns (uint8 coolDown) {
        uint256 packed = _rulesOf(jurisdiction);
        if (packed == 0) return 0;
        JurisdictionRules memory r = _unpackRules(packed);
        if (r.contactStartHour > pol.contactStartHour) pol.contactStartHour = r.contactStartHour;
        if (r.contactEndHour < pol.contactEndHour) pol.contactEndHour = r.contactEndHour;
        if (r.maxConnectedCallsPerDay != 0 && r.maxConnectedCallsPerDay < pol.maxConnectedCallsPerDay) {
            pol.maxConnectedCallsPerDay = r.maxConnectedCallsPerDay;
        }
        if (r.maxCallAttemptsPer7Days != 0 && r.maxCallAttemptsPer7Days < pol.maxCallAttemptsPer7Days) {
            pol.maxCallAttemptsPer7Days = r.maxCallAttemptsPer7Days;
        }
        return r.coolDownDaysAfterConversation;
    }

    /// @dev The stored rules of `jurisdiction`, else of its country (unset when neither has any).
    function _rulesOf(bytes6 jurisdiction) private view returns (uint256 packed) {
        packed = _jurisdictionRules[jurisdiction];
        if (packed == 0) {
            bytes6 country = Jurisdictions.country(jurisdiction);
            if (country != jurisdiction) packed = _jurisdictionRules[country];
        }
    }

    /// @dev Rules as one word: | set (8, always 1) | start (8) | end (8) | connected/day (8) | calls/7 days (8) | cool-down (8) |,
    /// so a jurisdiction's rules cost one storage read per action.
    function _packRules(JurisdictionRules calldata r) private pure returns (uint48) {
        return uint48(
            (uint256(1) << 40) | (uint256(r.contactStartHour) << 32) | (uint256(r.contactEndHour) << 24)
                | (uint256(r.maxConnectedCallsPerDay) << 16) | (uint256(r.maxCallAttemptsPer7Days) << 8) | r.coolDownDaysAfterConversation
        );
    }

    function _unpackRules(uint256 p) private pure returns (JurisdictionRules memory r) {
        r = JurisdictionRules(uint8(p >> 32), uint8(p >> 24), uint8(p >> 16), uint8(p >> 8), uint8(p));
    }

    function _genesis(uint256 loanId) private view returns (bytes32) {
        return TrailHash.genesisHead(block.chainid, address(this), loanId);
    }

    function _placementFor(uint256 placementId) private view returns (Placement storage p) {
        p = _placements[placementId];
        if (p.lender == address(0)) revert CollectionLogUnknownPlacement(placementId);
    }

    /// @dev Recalled or past its end: it gives no access and holds no loan.
    function _over(Placement storage p) private view returns (bool) {
        return p.recalledAt != 0 || block.timestamp >= p.end;
    }

    function _active(Placement storage p) private view returns (bool) {
        return p.recalledAt == 0 && p.start <= block.timestamp && block.timestamp < p.end;
    }

    function _requireLender(uint256 loanId) private view {
        (address lender,,) = ledger.loanParties(loanId);
        if (msg.sender != lender) revert CollectionLogNotLender(msg.sender, loanId);
    }

    function _requireBorrower(uint256 loanId) private view {
        (, address borrower,) = ledger.loanParties(loanId);
        if (msg.sender != borrower) revert CollectionLogNotBorrower(msg.sender, loanId);
    }

    /// @dev Appends an action of `collector` (the sender, or the signer of a signed action).
    function _record(
        address collector,
        uint256 loanId,
        uint8 channel,
        uint8 kind,
        uint16 outcome,
        uint64 occurredAt,
        bytes32 evidenceHash
    ) private returns (uint64 seq, uint32 flags) {
        if (!_assigned[loanId][collector] && !mayWorkPlaced(loanId, collector)) revert CollectionLogNotAssigned(loanId, collector);
        if (channel > _MAX_CHANNEL) revert CollectionLogInvalidChannel(channel);
        if (kind > _MAX_KIND) revert CollectionLogInvalidKind(kind);
        (address lender, int16 utcOffset, uint32 dpd, bytes6 jurisdiction) = ledger.collectionContext(loanId);
        ContactPolicy memory pol = contactPolicyOf(lender);
        uint8 coolDown = _applyJurisdiction(pol, jurisdiction);
        if (occurredAt > block.timestamp) revert CollectionLogOccurredInFuture(occurredAt, block.timestamp);
        uint256 earliest = block.timestamp - uint256(pol.actionWindowDays) * 1 days;
        if (occurredAt < earliest) revert CollectionLogOccurredTooLongAgo(occurredAt, earliest);

        Trail storage t = _trails[loanId];
        Compliance.Window memory w = Compliance.Window(t.windowDay, t.calls, t.connected);
        bool disputed = t.state & _DISPUTE_OPEN != 0;
        flags = Compliance.evaluate(
            Compliance.Facts(channel, kind, occurredAt, utcOffset, dpd, t.restricted, disputed, coolDown), pol, w
        );
        uint32 count = t.count;
        seq = count + 1;
        bytes32 head = TrailHash.nextHead(
            count == 0 ? _genesis(loanId) : t.head,
            TrailHash.actionHash(loanId, seq, collector, channel, kind, outcome, occurredAt, evidenceHash)
        );
        t.head = head;
        t.count = uint32(seq);
        t.windowDay = w.day;
        t.calls = w.calls;
        t.connected = w.connected;
        emit ActionRecorded(loanId, seq, collector, channel, kind, outcome, occurredAt, evidenceHash, flags, head);
        if (kind == uint8(Kind.Dispute) && !disputed) {
            t.state |= _DISPUTE_OPEN;
            emit DisputeFiled(loanId, collector, evidenceHash);
        }
    }
}
