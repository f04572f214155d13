/** Worker entry: HTTP (the app) and the decision-record queue consumer. `jitless` must come first: it configures arktype before any validator exists. */
import "./jitless.ts";
import { createApp } from "./app.ts";
import { consumeDecisions } from "./capture/consumer.ts";
import type { Env } from "./env.ts";
import { warmUp } from "./warm.ts";

warmUp();

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<unknown>, env: Env) => consumeDecisions(batch, env),
} satisfies ExportedHandler<Env>;
