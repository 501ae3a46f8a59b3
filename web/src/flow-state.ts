// What the sign-in flow carries from one step to the next. Kept in memory only: recovery codes are shown
// once and must not survive in sessionStorage; a reload simply re-reads the session from the server.
import type { MfaMethod, NextStep } from "./identity-api";

interface FlowState {
  methods: MfaMethod[];
  recoveryCodes: string[] | null;
  /** The step after the recovery codes page. */
  afterCodes: NextStep;
  /** A one-line message for the sign-in page (e.g. after signing out). */
  notice: string | null;
  /** The page asked for before sign-in. */
  returnTo: string;
}

export const flowState: FlowState = {
  methods: [],
  recoveryCodes: null,
  afterCodes: "done",
  notice: null,
  returnTo: "/dashboard",
};

export function takeRecoveryCodes(): string[] | null {
  const codes = flowState.recoveryCodes;
  flowState.recoveryCodes = null;
  return codes;
}
