// Sweep texts whose key is data (a trial's status).
import i18n from "../i18n";
import { statusLabel } from "../train/labels";

/** A trial's status as people read it: its run's, or "deleted" once its run is gone. */
export function trialStatusLabel(status: string): string {
  return status === "deleted" ? i18n.t("sweeps:status.deleted") : statusLabel(status);
}

/** A sweep's trials counted by status: "3 completed · 1 running". */
export function countsLabel(counts: Record<string, number>): string {
  return Object.entries(counts).map(([status, count]) => i18n.t("sweeps:view.count", { count, status: trialStatusLabel(status) }))
    .join(" · ");
}
