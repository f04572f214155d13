/**
 * Must be imported before anything that imports arktype. Deployed Workers
 * forbid `new Function` inside a request, and validators are built per model
 * version at request time: jitless mode interprets them instead of compiling.
 */
import { configure } from "arktype/config";

configure({ jitless: true });
