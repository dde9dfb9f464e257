// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @dev Calls back into a target (e.g. LoanLedger.repay) from inside transferFrom, to prove the
/// target's reentrancy guard holds. The callback's revert bubbles up.
contract ReentrantERC20 is ERC20 {
    address public callbackTarget;
    bytes public callData;

    constructor() ERC20("Reentrant", "RE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata callData_) external {
        callbackTarget = target_;
        callData = callData_;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        address t = callbackTarget;
        if (t != address(0)) {
            callbackTarget = address(0);
            (bool ok, bytes memory ret) = t.call(callData);
            if (!ok) {
                assembly {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
        return super.transferFrom(from, to, value);
    }
}
