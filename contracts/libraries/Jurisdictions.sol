// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Jurisdictions: the ISO 3166 code a loan is registered under, as `bytes6`.
/// @dev A country, ISO 3166-1 alpha-2 ("CN", "US", "GB"), or one of its subdivisions, ISO 3166-2
/// ("US-CA", "GB-SCT", "CN-GD"): upper-case ASCII, left-aligned, zero-padded. The rules of a
/// subdivision that has none of its own are its country's (src/domain/jurisdiction.ts is the twin).
library Jurisdictions {
    /// @dev Whether `j` is a well-formed code: two letters A-Z, then nothing, or "-" and one to three
    /// of A-Z and 0-9 with zeros only after them.
    function isValid(bytes6 j) internal pure returns (bool) {
        if (!_letter(j[0]) || !_letter(j[1])) return false;
        if (j[2] == 0) return j[3] == 0 && j[4] == 0 && j[5] == 0;
        if (j[2] != "-" || !_alnum(j[3])) return false;
        if (j[4] == 0) return j[5] == 0;
        return _alnum(j[4]) && (j[5] == 0 || _alnum(j[5]));
    }

    /// @dev The country of `j` (its first two bytes).
    function country(bytes6 j) internal pure returns (bytes6) {
        return bytes6(bytes2(j));
    }

    function _letter(bytes1 c) private pure returns (bool) {
        return c >= "A" && c <= "Z";
    }

    function _alnum(bytes1 c) private pure returns (bool) {
        return _letter(c) || (c >= "0" && c <= "9");
    }
}
