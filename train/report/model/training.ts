/** How training went: loss and the ranking metric (AUC, or a regression's R²) per epoch, training vs validation, best epoch marked. */
import { chart, colors, fmt, grid, html, Plot, section, type Section } from "../kit/index.ts";
import type { CardBase } from "./card.ts";

export function trainingSection(card: CardBase): Section {
  const c = card.training.curves;
  const best = card.training.bestEpoch;
  const regression = c.trainR2 !== undefined;
  const series = (name: string, ys: (number | null)[]) => ys.map((y, i) => ({ epoch: i + 1, series: name, y })).filter((p) => typeof p.y === "number" && Number.isFinite(p.y));
  // Without a validation split (--validation 0) only the training curves exist.
  const loss = [...series("training", c.loss), ...series("validation", c.valLoss ?? [])];
  const auc = regression
    ? [...series("training", c.trainR2 ?? []), ...series("validation", c.valR2 ?? [])]
    : [...series("training", c.trainAuc ?? []), ...series("validation", c.valAuc ?? [])];
  const color = { domain: ["training", "validation"], range: [colors.train, colors.validation] };
  const legend = [{ label: "training", color: "train" as const, line: true }, { label: "validation", color: "validation" as const, line: true }, { label: `best epoch (${best})`, color: "neutral" as const, line: true }];
  const bestRule = Plot.ruleX([best], { stroke: colors.neutral, strokeDasharray: "4,3", className: "best-epoch" });
  const epochs = { label: "Epoch →", labelAnchor: "center", tickFormat: "d" } as const;
  const stopped = card.training.stoppedEarly
    ? `Training stopped early after epoch ${card.training.epochsRun} and kept the weights of epoch ${best}, the lowest validation loss.`
    : `All ${card.training.epochsRun} epochs ran; the published weights are those of epoch ${best}${c.valLoss ? "" : " (no validation split: trained on every non-test row)"}.`;
  return section("training", "Training",
    html`<p>${stopped} ${fmt.seconds(card.training.seconds)} on the ${card.training.backend} backend. Training loss is the average over each epoch's batches; training ${regression ? "R²" : "AUC"} is measured on up to 5,000 training rows.</p>`,
    grid(
      chart({
        id: "loss", title: "Loss per epoch", legend,
        aid: "Both lines should fall. Validation loss rising while training loss keeps falling is overfitting; the best epoch is where validation loss was lowest.",
        plot: { x: epochs, y: { grid: true, label: regression ? "↑ Mean squared error, standardized target (lower is better)" : "↑ Log loss (lower is better)" }, color, marks: [bestRule, Plot.line(loss, { x: "epoch", y: "y", stroke: "series", strokeWidth: 2, className: "loss-curves" })] },
      }),
      regression
        ? chart({
          id: "r2", title: "R² per epoch", legend,
          aid: "Share of the target's variance explained, on its own scale, as training went on. A training R² far above validation R² means the network memorises rather than generalises.",
          plot: { x: epochs, y: { grid: true, label: "↑ R² (higher is better)" }, color, marks: [bestRule, Plot.line(auc, { x: "epoch", y: "y", stroke: "series", strokeWidth: 2, className: "r2-curves" })] },
        })
        : chart({
          id: "auc", title: "AUC per epoch", legend,
          aid: "Ranking quality as training went on. A training AUC far above validation AUC means the network memorises rather than generalises.",
          plot: { x: epochs, y: { grid: true, label: "↑ ROC AUC (higher is better)" }, color, marks: [bestRule, Plot.line(auc, { x: "epoch", y: "y", stroke: "series", strokeWidth: 2, className: "auc-curves" })] },
        }),
    ));
}
