// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title CollectionLog: the tamper-evident trail of collection actions.
/// @notice Every action a collector records is appended to its loan's hash chain:
///
///   actionHash = keccak256(abi.encode(uint256 loanId, uint64 seq, address collector, uint8 channel,
///                                     uint8 kind, uint16 outcome, uint64 occurredAt, bytes32 evidenceHash))
///   head_0     = keccak256(abi.encode(uint256 chainId, address collectionLog, uint256 loanId))
///   head_n     = keccak256(abi.encode(bytes32 head_(n-1), bytes32 actionHash_n))
///
/// so anyone can recompute a loan's trail from the ActionRecorded events alone and compare it
/// with {trailOf}. `collector` is the assigned collector who acted: the sender of {recordAction},
/// or the signer of a {recordActionBySig} (whoever submitted it). Compliance problems are flagged in the event, never refused: the ledger must not
/// hide what happened. Malformed input (a future or stale occurredAt, unknown enum values) is refused.
/// @dev The one statement of these encodings: TrailHash computes them on chain, src/domain/trail.ts off chain.
interface ICollectionLog {
    /// @dev Channels 0..7.
    enum Channel {
        Call,
        Sms,
        Email,
        Letter,
        LawyerLetter,
        Visit,
        AppPush,
        Other
    }

    /// @dev Kinds 0..6.
    enum Kind {
        ContactAttempt,
        ContactMade,
        PromiseToPay,
        Dispute,
        PlanOffer,
        LegalNotice,
        Note
    }

    /// @dev One action for {recordActions} and {recordActionBySig}.
    struct ActionInput {
        uint256 loanId;
        uint8 channel;
        uint8 kind;
        uint16 outcome;
        uint64 occurredAt;
        bytes32 evidenceHash;
    }

    /// @dev A lender's contact policy (one storage word), within the admin's caps.
    /// Hours are the borrower's local hours: contact is allowed in [contactStartHour, contactEndHour).
    struct ContactPolicy {
        uint8 maxConnectedCallsPerDay;
        uint8 maxCallAttemptsPer7Days;
        uint8 contactStartHour;
        uint8 contactEndHour;
        uint16 legalStageDpd;
        uint8 actionWindowDays;
    }

    /// @dev A jurisdiction's contact rules (docs/jurisdictions.md), borrower-local: contact allowed in
    /// [contactStartHour, contactEndHour); at most maxConnectedCallsPerDay connected calls a day and
    /// maxCallAttemptsPer7Days calls in 7 days (0: no limit of its own); no call on the
    /// coolDownDaysAfterConversation days after a day with a conversation (0: none). A loan's
    /// lender policy applies with them, the stricter of the two on each point.
    struct JurisdictionRules {
        uint8 contactStartHour;
        uint8 contactEndHour;
        uint8 maxConnectedCallsPerDay;
        uint8 maxCallAttemptsPer7Days;
        uint8 coolDownDaysAfterConversation;
    }

    // ---------------------------------------------------------------- events

    event CapsSet(ContactPolicy caps);
    /// @dev The admin set (`set`) or removed a jurisdiction's contact rules.
    event JurisdictionRulesSet(bytes6 indexed jurisdiction, JurisdictionRules rules, bool set);
    event ContactPolicySet(address indexed lender, ContactPolicy policy);
    event CollectorAssigned(uint256 indexed loanId, address indexed collector, address indexed lender);
    event CollectorUnassigned(uint256 indexed loanId, address indexed collector, address indexed lender);
    /// @dev `head` is the loan's trail head after this action; `flags` the compliance bitmask.
    event ActionRecorded(
        uint256 indexed loanId,
        uint64 seq,
        address indexed collector,
        uint8 channel,
        uint8 kind,
        uint16 outcome,
        uint64 occurredAt,
        bytes32 evidenceHash,
        uint32 flags,
        bytes32 head
    );
    /// @dev The commitment behind a PromiseToPay action: its evidenceHash is
    /// keccak256(abi.encode(uint256 amount, uint64 dueBy, bytes32 artifactHash)).
    event PromiseRecorded(uint256 indexed loanId, uint64 seq, uint256 amount, uint64 dueBy, bytes32 artifactHash);
    event ChannelRestricted(uint256 indexed loanId, uint8 channel);
    event ChannelReleased(uint256 indexed loanId, uint8 channel);
    /// @dev A dispute was opened by the borrower, or logged by a collector (a Dispute action).
    event DisputeFiled(uint256 indexed loanId, address indexed filedBy, bytes32 evidenceHash);
    /// @dev The lender sent the validation of the debt; collection may resume.
    event DisputeResolved(uint256 indexed loanId, bytes32 validationHash);
    event BatchAnchored(uint256 indexed batchId, bytes32 merkleRoot, uint32 count, string uri, address indexed submitter);

    // ---------------------------------------------------------------- errors

    error CollectionLogNotAssigned(uint256 loanId, address collector);
    error CollectionLogNotLender(address account, uint256 loanId);
    error CollectionLogNotBorrower(address account, uint256 loanId);
    error CollectionLogNotLenderRole(address account);
    error CollectionLogInvalidCollector(address collector);
    error CollectionLogAlreadyAssigned(uint256 loanId, address collector);
    error CollectionLogInvalidChannel(uint8 channel);
    error CollectionLogInvalidKind(uint8 kind);
    error CollectionLogOccurredInFuture(uint64 occurredAt, uint256 now);
    error CollectionLogOccurredTooLongAgo(uint64 occurredAt, uint256 earliest);
    error CollectionLogEmptyBatch();
    error CollectionLogZeroAmount();
    error CollectionLogPromiseDueInPast(uint64 dueBy, uint256 now);
    error CollectionLogNoOpenDispute(uint256 loanId);
    error CollectionLogNotAnchorer(address account);
    error CollectionLogInvalidBatch(bytes32 merkleRoot, uint32 count);
    error CollectionLogPolicyOutsideCaps(ContactPolicy policy, ContactPolicy caps);
    error CollectionLogInvalidCaps(ContactPolicy caps);
    error CollectionLogInvalidJurisdiction(bytes6 jurisdiction);
    /// @dev start < end <= 24 and a cool-down of at most 7 days (as far back as the call counters reach).
    error CollectionLogInvalidJurisdictionRules(JurisdictionRules rules);
    /// @dev A signed action submitted after its deadline.
    error CollectionLogExpiredSignature(uint256 deadline);
    /// @dev The signature is not `collector`'s (EOA or ERC-1271) over these fields, its current nonce and the deadline.
    error CollectionLogInvalidSignature(address collector);

    // ---------------------------------------------------------------- admin and lender

    /// @notice Sets the caps every lender's contact policy must stay within.
    /// @dev May emit a {CapsSet} event. Requirements: caller has DEFAULT_ADMIN_ROLE; start < end <= 24;
    /// 1 <= actionWindowDays <= 7; call limits >= 1.
    function setCaps(ContactPolicy calldata caps) external;

    /// @notice Sets the contact rules of `jurisdiction` (ISO 3166; a subdivision without rules of its own
    /// follows its country's); they apply to every action recorded from now on for loans registered there.
    /// @dev May emit a {JurisdictionRulesSet} event. Requirements: caller has DEFAULT_ADMIN_ROLE; a
    /// well-formed code; start < end <= 24; coolDownDaysAfterConversation <= 7.
    function setJurisdictionRules(bytes6 jurisdiction, JurisdictionRules calldata rules) external;

    /// @notice Removes `jurisdiction`'s own contact rules (its country's, if any, then apply).
    /// @dev May emit a {JurisdictionRulesSet} event with `set` false. Requirements: caller has DEFAULT_ADMIN_ROLE.
    function removeJurisdictionRules(bytes6 jurisdiction) external;

    /// @notice The contact rules that apply to loans registered under `jurisdiction`: its own, else its
    /// country's; `set` false (and zeros) when neither has any.
    function jurisdictionRulesOf(bytes6 jurisdiction) external view returns (JurisdictionRules memory rules, bool set);

    /// @notice Sets the caller's contact policy for all its loans.
    /// @dev May emit a {ContactPolicySet} event. Requirements: caller has LENDER_ROLE in the LoanLedger;
    /// call limits between 1 and the caps; caps.start <= start < end <= caps.end;
    /// 1 <= actionWindowDays <= caps.actionWindowDays; legalStageDpd >= caps.legalStageDpd.
    function setContactPolicy(ContactPolicy calldata policy) external;

    /// @notice Assigns `collector` to each loan in `loanIds`.
    /// @dev May emit {CollectorAssigned} events. Requirements: caller is each loan's lender;
    /// collector non-zero and not already assigned.
    function assignCollector(uint256[] calldata loanIds, address collector) external;

    /// @notice Unassigns `collector` from `loanId`; its recorded actions stay.
    /// @dev May emit a {CollectorUnassigned} event. Requirements: caller is the loan's lender; collector assigned.
    function unassignCollector(uint256 loanId, address collector) external;

    /// @notice Records that the debt was validated (evidence hash of what was sent); closes the dispute.
    /// @dev May emit a {DisputeResolved} event. Requirements: caller is the loan's lender; a dispute is open.
    function resolveDispute(uint256 loanId, bytes32 validationHash) external;

    // ---------------------------------------------------------------- collectors

    /// @notice Appends an action to the loan's trail and flags compliance problems.
    /// @dev May emit {ActionRecorded} and (for Kind Dispute) {DisputeFiled} events.
    /// Requirements: caller assigned to the loan, or working it through an active placement ({IPlacements}); channel <= 7; kind <= 6;
    /// now - actionWindowDays <= occurredAt <= now.
    function recordAction(
        uint256 loanId,
        uint8 channel,
        uint8 kind,
        uint16 outcome,
        uint64 occurredAt,
        bytes32 evidenceHash
    ) external returns (uint64 seq, uint32 flags);

    /// @notice Records several actions in one transaction, in order, all or nothing.
    function recordActions(ActionInput[] calldata actions) external;

    /// @notice Appends an action `collector` signed, submitted by anyone (a relayer need not be
    /// assigned): the trail names `collector`, and `collector`'s assignment is what is checked.
    /// Typed data (EIP-712 domain "Duetrail CollectionLog", "1"):
    /// `RecordAction(uint256 loanId,uint8 channel,uint8 kind,uint16 outcome,uint64 occurredAt,
    /// bytes32 evidenceHash,address collector,uint256 nonce,uint256 deadline)`, where `nonce` is
    /// {nonces}(collector), consumed here, so a signature is used at most once.
    /// @dev May emit {ActionRecorded} and (for Kind Dispute) {DisputeFiled} events.
    /// Requirements: block time <= deadline; a valid signature by `collector` (EOA or ERC-1271) over
    /// the action, `collector`, its current nonce and `deadline`; then as {recordAction}, with
    /// `collector` in place of the caller.
    function recordActionBySig(ActionInput calldata action, address collector, uint256 deadline, bytes calldata signature)
        external
        returns (uint64 seq, uint32 flags);

    /// @notice Records a promise to pay `amount` by `dueBy` as a PromiseToPay action (channel Other,
    /// outcome 0, occurredAt now) whose evidenceHash commits to (amount, dueBy, artifactHash).
    /// @dev May emit {ActionRecorded} and {PromiseRecorded} events. Requirements: caller assigned;
    /// amount > 0; dueBy > now.
    function recordPromise(uint256 loanId, uint256 amount, uint64 dueBy, bytes32 artifactHash) external returns (uint64 seq);

    /// @notice Anchors the Merkle root of `count` actions (OpenZeppelin StandardMerkleTree over the
    /// 8 action fields, in the order of actionHash), so one proof per action can be served for them.
    /// The contract stores the root only; the Duetrail API accepts a batch's leaves only when each is
    /// an action recorded in a loan's trail and the submitter works that loan.
    /// @dev May emit a {BatchAnchored} event. Requirements: caller has LENDER_ROLE in the LoanLedger
    /// or is assigned to at least one loan; root non-zero; count > 0.
    function anchorBatch(bytes32 merkleRoot, uint32 count, string calldata uri) external returns (uint256 batchId);

    // ---------------------------------------------------------------- borrowers

    /// @notice The borrower asks not to be contacted on `channel`; later contacts on it are flagged.
    /// @dev May emit a {ChannelRestricted} event. Requirements: caller is the loan's borrower; channel <= 7.
    function restrictChannel(uint256 loanId, uint8 channel) external;

    /// @notice The borrower lifts a restriction.
    /// @dev May emit a {ChannelReleased} event. Requirements: caller is the loan's borrower; channel <= 7.
    function releaseChannel(uint256 loanId, uint8 channel) external;

    /// @notice The borrower disputes the debt; contacts are flagged until the lender resolves it.
    /// @dev May emit a {DisputeFiled} event. Requirements: caller is the loan's borrower.
    function fileDispute(uint256 loanId, bytes32 evidenceHash) external;

    // ---------------------------------------------------------------- views

    /// @notice The loan's trail head and number of actions (head_0 when there are none).
    /// @param loanId The loan.
    /// @return head head_n after the last action, or head_0.
    /// @return count The number of actions n, which is also the last action's seq.
    function trailOf(uint256 loanId) external view returns (bytes32 head, uint64 count);

    /// @notice Whether `collector` is assigned to the loan now (and so may record actions on it).
    /// @param loanId The loan.
    /// @param collector The account to check.
    /// @return True between {assignCollector} and {unassignCollector}.
    function isAssigned(uint256 loanId, address collector) external view returns (bool);

    /// @notice The contact policy that applies to `lender`'s loans: the one it set with
    /// {setContactPolicy}, else the product defaults (3 connected calls a day, 7 call attempts in
    /// 7 days, contact 08:00-21:00 local, legal steps from DPD 60, actions at most 7 days old).
    /// @param lender The lender.
    /// @return The policy.
    function contactPolicyOf(address lender) external view returns (ContactPolicy memory);

    /// @notice The caps every lender's contact policy must stay within ({setCaps}).
    /// @return The caps.
    function caps() external view returns (ContactPolicy memory);

    /// @notice The channels the borrower asked not to be contacted on ({restrictChannel}).
    /// @param loanId The loan.
    /// @return bitmask Bit `channel` set for each restricted channel.
    function restrictedChannels(uint256 loanId) external view returns (uint8 bitmask);

    /// @notice Whether a dispute of the loan is open: filed by the borrower ({fileDispute}) or logged
    /// as a Dispute action, and not yet resolved by the lender ({resolveDispute}).
    /// @param loanId The loan.
    /// @return True while open.
    function disputeOpen(uint256 loanId) external view returns (bool);

    /// @notice The Merkle root anchored as batch `batchId` ({anchorBatch}).
    /// @param batchId The batch id.
    /// @return The root; zero if no such batch.
    function batchRoot(uint256 batchId) external view returns (bytes32);

    /// @notice The number of batches anchored so far; batch ids run from 1 to this.
    /// @return The count.
    function batchCount() external view returns (uint256);

    /// @notice Whether `proof` shows that the action with these fields is a leaf of batch `batchId`.
    /// The leaf is OpenZeppelin StandardMerkleTree's over the 8 action fields, in the order of
    /// actionHash: keccak256(bytes.concat(actionHash)).
    /// @param batchId The batch id.
    /// @param loanId The action's loan.
    /// @param seq The action's seq.
    /// @param collector The collector who acted.
    /// @param channel The action's channel.
    /// @param kind The action's kind.
    /// @param outcome The action's outcome code.
    /// @param occurredAt When the action happened.
    /// @param evidenceHash The action's evidence hash.
    /// @param proof The Merkle proof from the leaf to the batch root.
    /// @return True when the batch exists and the proof leads from the leaf to its root.
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
    ) external view returns (bool);

    /// @notice `collector`'s next nonce for {recordActionBySig}.
    /// @param collector The collector.
    /// @return The nonce its next signed action must carry.
    function nonces(address collector) external view returns (uint256);
}
