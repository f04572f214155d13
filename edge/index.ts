/** Worker entry. `jitless` must come first: it configures arktype before any validator exists. */
import "./jitless.ts";
import { createApp } from "./app.ts";
import { warmUp } from "./warm.ts";

warmUp();

export default createApp();
