// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TrailHash: the hashes of a loan's collection trail.
/// @dev The encodings are specified once, in ICollectionLog's header (actionHash, head_0, head_n);
/// src/domain/trail.ts computes the same three values off chain under the same names.
library TrailHash {
    /// @dev ICollectionLog's `actionHash` of one action; also the inner hash of its batch leaf.
    function actionHash(
        uint256 loanId,
        uint64 seq,
        address collector,
        uint8 channel,
        uint8 kind,
        uint16 outcome,
        uint64 occurredAt,
        bytes32 evidenceHash
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(loanId, seq, collector, channel, kind, outcome, occurredAt, evidenceHash));
    }

    /// @dev `head_0`: the head of a loan's trail before its first action, bound to the chain, the
    /// CollectionLog and the loan.
    function genesisHead(uint256 chainId, address collectionLog, uint256 loanId) internal pure returns (bytes32) {
        return keccak256(abi.encode(chainId, collectionLog, loanId));
    }

    /// @dev `head_n` from `head_(n-1)` and the n-th action's hash.
    function nextHead(bytes32 head, bytes32 actionHash_) internal pure returns (bytes32) {
        return keccak256(abi.encode(head, actionHash_));
    }
}
