// Stands in for "@tensorflow/tfjs-layers" in the Worker bundle (wrangler.toml [alias]): the Worker only
// loads saved networks (shared/network.ts calls loadLayersModel), and training saves a Sequential of Dense
// layers alone (train/fit/architecture.ts), so recurrent, convolutional, pooling and merge layers, the
// training loop's exports and the rest of the package's index are code no request could run. Importing
// the layers' module registers Dense (with Dropout and the other core layers) for deserialization; a
// saved network of any other class fails to load with tfjs's "Unknown layer" and is refused, never served
// wrong. Node (training, tests) imports the real package.
import "@tensorflow/tfjs-layers/dist/layers/core";
export { loadLayersModel } from "@tensorflow/tfjs-layers/dist/models";
