/**
 * The plain epoch lines a scheduled job's log gets (no terminal): what the
 * epoch measured, and nothing it did not (a regressor has no AUC).
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProgress } from "../train/cli/progress.ts";

function lines(epochs: Parameters<ReturnType<typeof createProgress>["epoch"]>[0][]): string {
  let text = "";
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { text += chunk.toString(); done(); } }) as unknown as NodeJS.WriteStream;
  const p = createProgress(stream);
  p.start(100);
  for (const e of epochs) p.epoch(e);
  p.stop();
  return text;
}

describe("epoch lines without a terminal", () => {
  it("give a classifier's validation loss and AUC", () => {
    expect(lines([{ epoch: 1, loss: 0.51234, valLoss: 0.49876, valAuc: 0.84567, seconds: 0.021 }])).toBe("epoch 1/100 loss 0.5123 val_loss 0.4988 val_auc 0.8457 (0.02 s)\n");
  });

  it("give a regressor's validation loss and no AUC", () => {
    const text = lines([{ epoch: 7, loss: 0.5227, valLoss: 0.5713, seconds: 0.02 }]);
    expect(text).toBe("epoch 7/100 loss 0.5227 val_loss 0.5713 (0.02 s)\n");
    expect(text).not.toContain("undefined");
  });

  it("give only the loss when there is no validation split (a refit on every training row)", () => {
    expect(lines([{ epoch: 3, loss: 0.4, seconds: 0.01 }])).toBe("epoch 3/100 loss 0.4000 (0.01 s)\n");
  });
});
