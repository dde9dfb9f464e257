// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SSTORE2} from "solady/src/utils/SSTORE2.sol";
import {ILoanLedgerTypes} from "../interfaces/ILoanLedger.sol";

/// @title ScheduleStore: a loan's terms and schedule version as one immutable SSTORE2 blob.
/// @dev Code storage costs 200 gas a byte against 20,000 a storage word, so the terms and
/// installments of each schedule version live in the bytecode of a data contract. The blob:
///
///   offset size field                      offset size field
///   0      20   lender                     109    2    penaltyRateBps
///   20     20   borrower                   111    2    capRoomBps
///   40     20   token (0 if off chain)     113    12   lateFee
///   60     3    currency (ISO-4217)        125    2    graceDays
///   63     32   borrowerRef                127    2    utcOffsetMinutes (int16)
///   95     12   principal                  129    4    policyId
///   107    2    contractRateBps            133    5    startedAt
///                                          138    2    version (1 = as registered)
///                                          140    6    jurisdiction (ISO 3166, see Jurisdictions)
///
/// followed at HEADER_SIZE by `count` installments of `5 + 2 * width` bytes each:
/// dueDate (5 bytes), principal (`width` bytes), interest (`width` bytes), big-endian.
/// `width` is the byte length of the largest amount in the version (1..12), kept in the loan's
/// storage word, so a typical 6-decimal stablecoin schedule costs 15 bytes an installment.
library ScheduleStore {
    uint256 internal constant HEADER_SIZE = 146;
    /// @dev SSTORE2 prefixes the data with one STOP byte.
    uint256 private constant _DATA_OFFSET = 1;

    /// @dev The decoded header.
    struct Header {
        address lender;
        address borrower;
        address token;
        bytes3 currency;
        bytes32 borrowerRef;
        uint96 principal;
        uint16 contractRateBps;
        int16 utcOffsetMinutes;
        uint32 policyId;
        uint40 startedAt;
        uint16 version;
        bytes6 jurisdiction;
        ILoanLedgerTypes.PenaltyTerms penalty;
    }

    /// @dev The header's bytes (layout above).
    function _head(Header memory h) private pure returns (bytes memory) {
        return bytes.concat(
            abi.encodePacked(h.lender, h.borrower, h.token, h.currency, h.borrowerRef, h.principal),
            abi.encodePacked(
                h.contractRateBps,
                h.penalty.penaltyRateBps,
                h.penalty.capRoomBps,
                h.penalty.lateFee,
                h.penalty.graceDays,
                h.utcOffsetMinutes,
                h.policyId,
                h.startedAt,
                h.version,
                h.jurisdiction
            )
        );
    }

    /// @dev Writes a header and `schedule` (already validated to fit `width`) and returns the pointer.
    function write(Header memory h, ILoanLedgerTypes.Installment[] calldata schedule, uint256 width)
        internal
        returns (address)
    {
        bytes memory head = _head(h);
        uint256 n = schedule.length;
        uint256 stride = 5 + 2 * width;
        bytes memory body = new bytes(n * stride);
        /// @solidity memory-safe-assembly
        assembly {
            let bits := shl(3, width)
            let shift := sub(256, bits)
            let src := schedule.offset
            let dst := add(body, 0x20)
            // Each mstore writes a whole word; later writes overwrite the spill of earlier ones,
            // and the spill of the last lands in unallocated memory.
            for { let end := add(src, mul(n, 0x60)) } lt(src, end) { src := add(src, 0x60) } {
                mstore(dst, shl(216, calldataload(src)))
                mstore(add(dst, 5), shl(shift, calldataload(add(src, 0x20))))
                mstore(add(add(dst, 5), width), shl(shift, calldataload(add(src, 0x40))))
                dst := add(dst, stride)
            }
            mstore(0x40, add(dst, 0x20))
        }
        return SSTORE2.write(bytes.concat(head, body));
    }

    /// @dev {write} for a schedule built in memory (relief computes new versions on chain).
    function writeMemory(Header memory h, ILoanLedgerTypes.Installment[] memory schedule, uint256 width)
        internal
        returns (address)
    {
        uint256 n = schedule.length;
        uint256 stride = 5 + 2 * width;
        uint256 shift = 256 - 8 * width;
        bytes memory body = new bytes(n * stride);
        for (uint256 i; i < n; ++i) {
            ILoanLedgerTypes.Installment memory x = schedule[i];
            uint256 due = x.dueDate;
            uint256 p = x.principal;
            uint256 r = x.interest;
            /// @solidity memory-safe-assembly
            assembly {
                // As in {write}: whole-word stores, each later one overwriting the earlier spill.
                let dst := add(add(body, 0x20), mul(i, stride))
                mstore(dst, shl(216, due))
                mstore(add(dst, 5), shl(shift, p))
                mstore(add(add(dst, 5), width), shl(shift, r))
                // Keep the free-memory pointer past any spill of the last entry.
                let end := add(add(add(dst, 5), width), 0x20)
                if gt(end, mload(0x40)) { mstore(0x40, end) }
            }
        }
        return SSTORE2.write(bytes.concat(_head(h), body));
    }

    /// @dev Reads and decodes the header. The header is copied past the free memory pointer (scratch
    /// that is read at once and never allocated) and read as seven overlapping words.
    function readHeader(address pointer) internal view returns (Header memory h) {
        uint256 w0;
        uint256 w1;
        uint256 w2;
        uint256 w3;
        uint256 w4;
        uint256 w5;
        uint256 w6;
        /// @solidity memory-safe-assembly
        assembly {
            let p := mload(0x40)
            extcodecopy(pointer, p, _DATA_OFFSET, HEADER_SIZE)
            w0 := mload(p) // lender | borrower[0..12)
            w1 := mload(add(p, 20)) // borrower ...
            w2 := mload(add(p, 40)) // token | currency | borrowerRef[0..9)
            w3 := mload(add(p, 63)) // borrowerRef
            w4 := mload(add(p, 95)) // principal | rates | lateFee[0..14)
            w5 := mload(add(p, 113)) // lateFee | grace | utcOffset | policyId | startedAt | version
            w6 := mload(add(p, 114)) // ... | jurisdiction (the last 6 bytes)
        }
        h.lender = address(uint160(w0 >> 96));
        h.borrower = address(uint160(w1 >> 96));
        h.token = address(uint160(w2 >> 96));
        h.currency = bytes3(bytes32(w2 << 160));
        h.borrowerRef = bytes32(w3);
        h.principal = uint96(w4 >> 160);
        h.contractRateBps = uint16(w4 >> 144);
        h.penalty.penaltyRateBps = uint16(w4 >> 128);
        h.penalty.capRoomBps = uint16(w4 >> 112);
        h.penalty.lateFee = uint96(w5 >> 160);
        h.penalty.graceDays = uint16(w5 >> 144);
        h.utcOffsetMinutes = int16(uint16(w5 >> 128));
        h.policyId = uint32(w5 >> 96);
        h.startedAt = uint40(w5 >> 56);
        h.version = uint16(w5 >> 40);
        h.jurisdiction = bytes6(bytes32(w6 << 208));
    }

    /// @dev Reads only what CollectionLog's context needs (lender, UTC offset, jurisdiction): two
    /// 32-byte copies into the scratch space, no header decoded in memory.
    function readContext(address pointer) internal view returns (address lender, int16 utcOffsetMinutes, bytes6 jurisdiction) {
        uint256 w0;
        uint256 w1;
        /// @solidity memory-safe-assembly
        assembly {
            extcodecopy(pointer, 0x00, _DATA_OFFSET, 0x20) // lender | borrower[0..12)
            w0 := mload(0x00)
            extcodecopy(pointer, 0x00, add(_DATA_OFFSET, 127), 0x20) // utcOffset | policyId | startedAt | version | jurisdiction | ...
            w1 := mload(0x00)
        }
        lender = address(uint160(w0 >> 96));
        utcOffsetMinutes = int16(uint16(w1 >> 240));
        jurisdiction = bytes6(bytes32(w1 << 104));
    }

    /// @dev Reads installment `index` (which must be < count) without allocating memory.
    function readInstallment(address pointer, uint256 width, uint256 index)
        internal
        view
        returns (uint256 dueDate, uint256 principal, uint256 interest)
    {
        /// @solidity memory-safe-assembly
        assembly {
            let stride := add(5, shl(1, width))
            extcodecopy(pointer, 0x00, add(add(HEADER_SIZE, _DATA_OFFSET), mul(index, stride)), 0x20)
            let w := mload(0x00)
            let bits := shl(3, width)
            let shift := sub(256, bits)
            dueDate := shr(216, w)
            principal := shr(shift, shl(40, w))
            interest := shr(shift, shl(add(40, bits), w))
        }
    }

    /// @dev Reads all `count` installments.
    function readAll(address pointer, uint256 width, uint256 count)
        internal
        view
        returns (ILoanLedgerTypes.Installment[] memory schedule)
    {
        schedule = new ILoanLedgerTypes.Installment[](count);
        for (uint256 i; i < count; ++i) {
            (uint256 d, uint256 p, uint256 r) = readInstallment(pointer, width, i);
            schedule[i] = ILoanLedgerTypes.Installment(uint64(d), p, r);
        }
    }
}
