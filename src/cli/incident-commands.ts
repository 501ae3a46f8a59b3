import type { Command } from "commander";
import { auditSigner } from "../audit/audit-chain.js";
import { createIncidentResponse } from "../incidents/incident-response.js";
import { INCIDENT_STATES, type Incident, isIncidentState } from "../incidents/incident-types.js";
import { MS } from "../platform/clock.js";
import { type CliIo, EXIT, type SetExit, writeJson } from "./io.js";
import { withRuntime } from "./with-runtime.js";

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function left(incident: Incident, now: Date): string {
  if (incident.notifiedAt) return "notified";
  const ms = Date.parse(incident.deadlineAt) - now.getTime();
  if (ms <= 0) return "OVERDUE";
  return `${Math.floor(ms / MS.hour)}h${String(Math.floor((ms % MS.hour) / MS.minute)).padStart(2, "0")}m left`;
}

function line(i: Incident, now: Date): string {
  return `${i.id}  ${i.severity.padEnd(8)} ${i.state.padEnd(20)} ${left(i, now).padEnd(12)} ${i.title}\n`;
}

export function registerIncidentCommands(program: Command, io: CliIo, setExit: SetExit): void {
  const incidents = program
    .command("incidents")
    .description("Security incidents: detection over the audit log, lifecycle, 24-hour notice deadline");

  incidents
    .command("list")
    .description("Incidents, newest first, with state and time left to notify Amazon")
    .option("--json", "print the incidents as JSON", false)
    .action(async (options: { json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const r = createIncidentResponse({
            db: rt.database.db,
            clock: rt.clock,
            audit: rt.audit,
            config: rt.config,
            channels: [],
          });
          const list = await r.incidents.list();
          if (options.json) writeJson(io, { incidents: list });
          else if (list.length === 0) io.stdout("No incidents.\n");
          else for (const i of list) io.stdout(line(i, rt.clock.now()));
          return EXIT.ok;
        }),
      ),
    );

  incidents
    .command("show")
    .argument("<id>", "incident id")
    .description("One incident: timeline, evidence notes (hash chain checked) and the drafted notices")
    .option("--json", "print the incident as JSON", false)
    .action(async (id: string, options: { json: boolean }) =>
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const r = createIncidentResponse({
            db: rt.database.db,
            clock: rt.clock,
            audit: rt.audit,
            config: rt.config,
            channels: [],
          });
          const detail = await r.incidents.show(id);
          const notices = await r.incidents.notices(id, "Seller Pilot");
          if (options.json) {
            writeJson(io, { ...detail, notices });
            return EXIT.ok;
          }
          const i = detail.incident;
          io.stdout(
            `${i.title} (${i.id})\nrule ${i.rule}, severity ${i.severity}, state ${i.state}\n${i.summary}\n` +
              `detected ${i.detectedAt}, notice deadline ${i.deadlineAt} (${left(i, rt.clock.now())})\n` +
              `point of contact: ${i.pointOfContact}\n\nTimeline:\n`,
          );
          for (const e of detail.timeline)
            io.stdout(`  ${e.at}  ${e.kind.padEnd(12)} ${e.actor}: ${e.detail}\n`);
          io.stdout(
            `\nEvidence notes: ${detail.evidence.length} (chain ${detail.evidenceCheck.valid ? "intact" : `BROKEN at note ${detail.evidenceCheck.seq}`})\n`,
          );
          io.stdout(
            `\nNotice to ${notices.amazon.to}:\n${notices.amazon.subject}\n\n${notices.amazon.body}\n`,
          );
          return EXIT.ok;
        }),
      ),
    );

  incidents
    .command("transition")
    .argument("<id>", "incident id")
    .argument("<state>", `the next state: ${INCIDENT_STATES.join(", ")}`)
    .description("Move an incident forward in its lifecycle (never back); audited")
    .option("--note <text>", "why (kept on the timeline)")
    .option("--json", "print the incident as JSON", false)
    .action(async (id: string, state: string, options: { json: boolean; note?: string }) => {
      if (!isIncidentState(state)) {
        io.stderr(`error: state must be one of ${INCIDENT_STATES.join(", ")}\n`);
        setExit(EXIT.usage);
        return;
      }
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const r = createIncidentResponse({
            db: rt.database.db,
            clock: rt.clock,
            audit: rt.audit,
            config: rt.config,
            channels: [],
          });
          const incident = await r.incidents.transition(id, state, "cli", options.note?.slice(0, 500));
          if (options.json) writeJson(io, { incident });
          else io.stdout(`Incident ${incident.id} is now ${incident.state}.\n`);
          return EXIT.ok;
        }),
      );
    });

  incidents
    .command("detect")
    .description("Run the detection rules once over new audit entries, then escalate near deadlines")
    .option("--at <iso>", "run as of this time (default: now)")
    .option("--json", "print the run as JSON", false)
    .action(async (options: { json: boolean; at?: string }) => {
      const at = options.at === undefined ? undefined : new Date(options.at);
      if (options.at !== undefined && (!ISO.test(options.at) || Number.isNaN(at?.getTime()))) {
        io.stderr("error: --at must be an ISO-8601 date-time\n");
        setExit(EXIT.usage);
        return;
      }
      setExit(
        await withRuntime(io, options.json, async (rt) => {
          const r = createIncidentResponse({
            db: rt.database.db,
            clock: rt.clock,
            audit: rt.audit,
            config: rt.config,
            logger: rt.logger,
            trustedPublicKeys: [auditSigner(rt.master.key).publicKey],
          });
          try {
            const run = await r.runDetection(at ? { at } : {});
            const summary = {
              entries: run.entries,
              cursor: run.cursor,
              findings: run.findings.length,
              opened: run.opened.map((i) => i.id),
              escalated: run.escalated.map((i) => i.id),
              verified: run.verified,
            };
            if (options.json) writeJson(io, summary);
            else
              io.stdout(
                `Read ${run.entries} audit entries (cursor ${run.cursor}); ${run.opened.length} incident(s) opened, ${run.escalated.length} escalated.\n`,
              );
            return EXIT.ok;
          } finally {
            r.close();
          }
        }),
      );
    });
}
