/**
 * The CPU backend with only the kernels a Dense network needs at inference
 * (matmul, bias, the common activations, reshapes). The full backend would add
 * about 100 KiB of kernels the Worker never runs. A model needing a kernel not
 * listed here fails its warm-up and is refused (never a wrong answer), and the
 * CPU parity test runs the trained network through exactly this set.
 * Kernel set seen in use (Node probe over load + predict): Add, Identity,
 * Reshape, Sigmoid, Slice, _FusedMatMul; the others cover other Dense configs.
 * Every `--activation` the trainer offers is served by this set: relu and elu
 * fuse into _FusedMatMul, tanh and sigmoid run as BatchMatMul + Add + Tanh /
 * Sigmoid (test/edge-options.test.ts serves each through the CPU fallback).
 */
import { registerKernel, type KernelConfig } from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu/dist/base.js";
import { addConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Add.js";
import { batchMatMulConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/BatchMatMul.js";
import { castConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Cast.js";
import { concatConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Concat.js";
import { eluConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Elu.js";
import { identityConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Identity.js";
import { leakyReluConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/LeakyRelu.js";
import { multiplyConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Multiply.js";
import { preluConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Prelu.js";
import { reluConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Relu.js";
import { relu6Config } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Relu6.js";
import { reshapeConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Reshape.js";
import { seluConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Selu.js";
import { sigmoidConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Sigmoid.js";
import { sliceConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Slice.js";
import { softplusConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Softplus.js";
import { subConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Sub.js";
import { tanhConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Tanh.js";
import { transposeConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/Transpose.js";
import { _fusedMatMulConfig } from "@tensorflow/tfjs-backend-cpu/dist/kernels/_FusedMatMul.js";

const kernels: KernelConfig[] = [addConfig, batchMatMulConfig, castConfig, concatConfig, eluConfig, identityConfig, leakyReluConfig, multiplyConfig, preluConfig, reluConfig, relu6Config, reshapeConfig, seluConfig, sigmoidConfig, sliceConfig, softplusConfig, subConfig, tanhConfig, transposeConfig, _fusedMatMulConfig];
for (const k of kernels) registerKernel(k);
