/** The machine a result was measured on, saved beside the figures. */
import { cpus, release, totalmem, type as osType } from "node:os";

export interface Machine {
  cpuModel: string;
  cpus: number;
  totalMemMiB: number;
  node: string;
  os: string;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? "unknown",
    cpus: c.length,
    totalMemMiB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    os: `${osType()} ${release()} ${process.arch}`,
  };
}
