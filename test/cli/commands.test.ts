import { expect } from "chai";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { Command } from "commander";
import { COMMANDS, registerCommands } from "../../src/cli/commands";
import { cliCommand } from "../support/cli";

const root = path.resolve(__dirname, "..", "..");

const names = (program: Command) => program.commands.map((c) => c.name());

describe("cli command registry", function () {
  this.timeout(120_000);

  it("each entry's module registers exactly the command the entry names", async function () {
    for (const entry of COMMANDS) {
      const program = new Command();
      (await entry.load())(program);
      expect(names(program), entry.name).to.deep.equal([entry.name]);
    }
  });

  it("a run naming a command registers that command alone; otherwise every command, in the list's order", async function () {
    const one = new Command();
    await registerCommands(one, ["node", "duetrail", "index", "--exit-at-tip"]);
    expect(names(one)).to.deep.equal(["index"]);
    for (const argv of [[], ["node", "duetrail"], ["node", "duetrail", "--help"], ["node", "duetrail", "indx"]]) {
      const all = new Command();
      await registerCommands(all, argv);
      expect(names(all), argv.join(" ")).to.deep.equal(COMMANDS.map((c) => c.name));
    }
  });

  it("the program's help lists every command, and an unknown command is answered with the nearest name", function () {
    const help = spawnSync(...cliCommand(["--help"]), { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(help.status, help.stderr).to.equal(0);
    for (const { name } of COMMANDS) expect(help.stdout).to.match(new RegExp(`^  ${name} `, "m"));
    const typo = spawnSync(...cliCommand(["indx"]), { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(typo.status).to.equal(2);
    expect(typo.stderr).to.contain("unknown command 'indx'").and.to.contain("(Did you mean index?)");
  });
});
