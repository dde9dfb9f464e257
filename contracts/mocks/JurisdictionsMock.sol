// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Jurisdictions} from "../libraries/Jurisdictions.sol";

/// @dev Exposes Jurisdictions.isValid, so a test can compare it with src/domain/jurisdiction.ts.
contract JurisdictionsMock {
    function isValid(bytes6 j) external pure returns (bool) {
        return Jurisdictions.isValid(j);
    }
}
