/** The console's auditor path in a real browser (issue 17, in progress). */
import type { DemoContext } from "./context";

export function auditorConsole(_demo: DemoContext) {
  describe("console: auditor", function () {});
}
