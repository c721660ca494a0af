// Bundles the live view's front end into one ES module for anywidget (WASM inlined, no CDN).
import { build, context } from "esbuild";
import { fileURLToPath } from "node:url";

// `--outfile <path>` builds elsewhere: the stale-bundle test compares such a build with the shipped one.
const at = process.argv.indexOf("--outfile");
const outfile =
  at >= 0 ? process.argv[at + 1] : fileURLToPath(new URL("../syft_widgets/static/widget.js", import.meta.url));
const options = {
  entryPoints: [fileURLToPath(new URL("./src/widget.js", import.meta.url))],
  bundle: true,
  format: "esm",
  minify: true,
  target: ["es2020"],
  outfile,
  legalComments: "none",
  logLevel: "info",
};

if (process.argv.includes("--watch")) {
  await (await context(options)).watch();
} else {
  await build(options);
}
