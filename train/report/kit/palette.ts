/**
 * Colours: the Okabe–Ito palette, distinguishable with the common forms of
 * colour blindness, with one fixed meaning per colour across every chart and
 * legend (goods always blue, bads always vermillion, ...).
 */
export const okabeIto = {
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  bluishGreen: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  reddishPurple: "#CC79A7",
  black: "#000000",
} as const;

/** Meanings → colours. Charts use these names; legends get matching CSS classes (`.sw-<name>`). */
export const colors = {
  good: okabeIto.blue,
  bad: okabeIto.vermillion,
  train: okabeIto.blue,
  validation: okabeIto.orange,
  test: okabeIto.orange,
  reference: okabeIto.skyBlue,
  current: okabeIto.reddishPurple,
  model: okabeIto.blue,
  approve: okabeIto.bluishGreen,
  refer: okabeIto.orange,
  decline: okabeIto.vermillion,
  lower: okabeIto.bluishGreen,
  higher: okabeIto.vermillion,
  neutral: "#8a8a8a",
  // Monitoring levels, matching the decision colours: fine, look at it, act.
  stable: okabeIto.bluishGreen,
  warn: okabeIto.orange,
  alert: okabeIto.vermillion,
} as const;

export type ColorName = keyof typeof colors;
