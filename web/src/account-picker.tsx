import { useId } from "react";
import type { AccountSummary } from "./identity-api";

/** Chooses the seller account a page works on; the choice is kept in the address (?account=) for links. */
export function AccountPicker({
  accounts,
  value,
  onChange,
}: {
  accounts: readonly AccountSummary[];
  value: string;
  onChange: (id: string) => void;
}) {
  const id = useId();
  return (
    <div className="field field-inline">
      <label htmlFor={id}>Seller account</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        {accounts.map((account) => (
          <option key={account.id} value={account.id}>
            {account.name} {account.region ? `(${account.region})` : ""}
          </option>
        ))}
      </select>
    </div>
  );
}

export function initialAccount(accounts: readonly AccountSummary[]): string {
  const asked = new URLSearchParams(window.location.search).get("account");
  return accounts.find((account) => account.id === asked)?.id ?? accounts[0]?.id ?? "";
}
