// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICollectionLog} from "../interfaces/ICollectionLog.sol";

/// @title Compliance: the contact rules CollectionLog flags (src/domain/compliance.ts is the twin).
/// @dev Flags, in the ActionRecorded bitmask:
///   1  more than maxConnectedCallsPerDay connected calls (Kind ContactMade on Channel Call) on the
///      borrower's local day of the action;
///   2  more than maxCallAttemptsPer7Days calls (Channel Call, Kind ContactAttempt or ContactMade) in
///      the 7 local days ending on the action's day;
///   4  a contact outside [contactStartHour, contactEndHour) borrower-local time (letters exempt:
///      posting time says nothing about when the borrower is reached);
///   8  a contact on a channel the borrower restricted;
///   16 a LegalNotice, or anything on LawyerLetter, before DPD reaches legalStageDpd;
///   32 a collection contact (ContactAttempt, ContactMade, PromiseToPay, LegalNotice) while nothing is
///      overdue — Dispute, Note and PlanOffer are exempt: they are not demands for payment;
///   64 a contact while a dispute is open;
///   128 a call (attempt or connected) within the jurisdiction's cool-down after a conversation: a
///      connected call on one of the coolDownDays local days before the action's day, as far back
///      as the connected-call ring reaches (the 8 local days ending on the latest call day).
/// "Contact" means every kind except Dispute (the borrower's own act) and Note (internal).
library Compliance {
    uint32 internal constant TOO_MANY_CONNECTED_CALLS = 1;
    uint32 internal constant TOO_MANY_CALL_ATTEMPTS = 2;
    uint32 internal constant OUTSIDE_HOURS = 4;
    uint32 internal constant RESTRICTED_CHANNEL = 8;
    uint32 internal constant LEGAL_BEFORE_STAGE = 16;
    uint32 internal constant NOTHING_OVERDUE = 32;
    uint32 internal constant DISPUTE_OPEN = 64;
    uint32 internal constant COOL_DOWN = 128;

    /// @dev Per-loan call counters: a ring of 14 local days of call attempts (8 bits each) and
    /// 8 local days of connected calls, index 0 = `windowDay`, index i = windowDay - i. Actions are
    /// at most 7 days old, so an action's day is within 7 of windowDay and its 7-day window within 14.
    struct Window {
        uint32 day;
        uint112 calls;
        uint64 connected;
    }

    /// @dev What an action is, for the rules.
    struct Facts {
        uint8 channel;
        uint8 kind;
        uint64 occurredAt;
        int16 utcOffsetMinutes;
        uint32 dpd;
        uint8 restricted;
        bool disputeOpen;
        uint8 coolDownDays;
    }

    function isContact(uint8 kind) internal pure returns (bool) {
        return kind != uint8(ICollectionLog.Kind.Dispute) && kind != uint8(ICollectionLog.Kind.Note);
    }

    /// @dev Seconds since the epoch in the borrower's local time.
    function localTime(uint64 t, int16 utcOffsetMinutes) internal pure returns (uint256) {
        return uint256(int256(uint256(t)) + int256(utcOffsetMinutes) * 60);
    }

    /// @dev Flags of one action, and the call window updated with it.
    function evaluate(Facts memory a, ICollectionLog.ContactPolicy memory pol, Window memory w)
        internal
        pure
        returns (uint32 flags)
    {
        uint256 local = localTime(a.occurredAt, a.utcOffsetMinutes);
        if (a.channel == uint8(ICollectionLog.Channel.Call)) {
            bool attempt = a.kind == uint8(ICollectionLog.Kind.ContactAttempt);
            bool connected = a.kind == uint8(ICollectionLog.Kind.ContactMade);
            if (attempt || connected) flags |= _countCall(w, uint32(local / 1 days), connected, pol, a.coolDownDays);
        }
        if (isContact(a.kind)) {
            uint256 hour = (local % 1 days) / 1 hours;
            bool posted = a.channel == uint8(ICollectionLog.Channel.Letter)
                || a.channel == uint8(ICollectionLog.Channel.LawyerLetter);
            if (!posted && (hour < pol.contactStartHour || hour >= pol.contactEndHour)) flags |= OUTSIDE_HOURS;
            if (a.restricted & (1 << a.channel) != 0) flags |= RESTRICTED_CHANNEL;
            if (a.disputeOpen) flags |= DISPUTE_OPEN;
            if (a.dpd == 0 && a.kind != uint8(ICollectionLog.Kind.PlanOffer)) flags |= NOTHING_OVERDUE;
        }
        bool legal = a.kind == uint8(ICollectionLog.Kind.LegalNotice)
            || a.channel == uint8(ICollectionLog.Channel.LawyerLetter);
        if (legal && a.dpd < pol.legalStageDpd) flags |= LEGAL_BEFORE_STAGE;
    }

    /// @dev Adds a call on local day `day` to the window and returns flags 1 and 2 for it.
    function _countCall(Window memory w, uint32 day, bool connected, ICollectionLog.ContactPolicy memory pol, uint256 coolDown)
        private
        pure
        returns (uint32 flags)
    {
        if (day > w.day) {
            uint256 shift = day - w.day;
            // Shifting by whole days drops the days that fall out of the ring.
            w.calls = shift >= 14 ? 0 : uint112(uint256(w.calls) << (8 * shift));
            w.connected = shift >= 8 ? 0 : uint64(uint256(w.connected) << (8 * shift));
            w.day = day;
        }
        uint256 i = w.day - day; // <= 7: occurredAt is at most 7 days old
        w.calls = uint112(_increment(w.calls, i));
        uint256 inSeven;
        for (uint256 j = i; j < i + 7; ++j) {
            inSeven += (uint256(w.calls) >> (8 * j)) & 0xff;
        }
        if (inSeven > pol.maxCallAttemptsPer7Days) flags |= TOO_MANY_CALL_ATTEMPTS;
        // A conversation on one of the `coolDown` days before this call's day (within the 8-day ring).
        for (uint256 j = i + 1; j <= i + coolDown && j < 8; ++j) {
            if ((uint256(w.connected) >> (8 * j)) & 0xff != 0) {
                flags |= COOL_DOWN;
                break;
            }
        }
        if (connected) {
            w.connected = uint64(_increment(w.connected, i));
            if ((uint256(w.connected) >> (8 * i)) & 0xff > pol.maxConnectedCallsPerDay) flags |= TOO_MANY_CONNECTED_CALLS;
        }
    }

    /// @dev Adds one to the 8-bit counter `i` of `ring`, saturating at 255.
    function _increment(uint256 ring, uint256 i) private pure returns (uint256) {
        uint256 shift = 8 * i;
        return (ring >> shift) & 0xff == 0xff ? ring : ring + (1 << shift);
    }
}
