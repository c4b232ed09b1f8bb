import { isPanCodeError } from "@pancode/core";
import { ClientServiceService } from "@pancode/proto";
import { describe, expect, it } from "vitest";
import { CLIENT_METHOD_ROLES, requireRole } from "./roles.js";

const methods = Object.values(ClientServiceService).map((m) => m.path.split("/").pop() as string);

function refusal(method: string, role: "viewer" | "member" | "admin"): string {
  try {
    requireRole(method, { name: "alice", role });
    return "";
  } catch (err) {
    if (!isPanCodeError(err)) throw err;
    expect(err.code).toBe("PERMISSION_DENIED");
    return err.message;
  }
}

describe("client method roles", () => {
  it("lists every ClientService method, and nothing else", () => {
    expect(methods.length).toBeGreaterThan(30);
    expect(methods.filter((m) => !(m in CLIENT_METHOD_ROLES))).toEqual([]);
    expect(Object.keys(CLIENT_METHOD_ROLES).filter((m) => !methods.includes(m))).toEqual([]);
  });

  it("refuses a method missing from the table for every role, admin included (fail closed)", () => {
    expect(refusal("DropDatabase", "admin")).toBe("DropDatabase is not open to client tokens");
  });

  it("orders the roles viewer < member < admin and names the one needed", () => {
    expect(refusal("GetBudget", "viewer")).toBe("");
    expect(refusal("Dispatch", "viewer")).toBe("dispatch needs role member; you are alice (viewer)");
    expect(refusal("Dispatch", "member")).toBe("");
    expect(refusal("SetBudget", "member")).toBe("set budget needs role admin; you are alice (member)");
    expect(refusal("SetBudget", "admin")).toBe("");
    for (const m of ["Drain", "RevokeKey", "ReadmitWorker", "CreateToken", "ListTokens", "RevokeToken", "SetTeam"]) {
      expect(CLIENT_METHOD_ROLES[m]).toBe("admin");
    }
  });
});
