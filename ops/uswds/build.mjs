// Compiles uswds.scss into the vendored, trimmed USWDS bundle and copies only what it refers
// to: the font files and images named in the compiled CSS, the JavaScript and the licence.
// Run by `make uswds` (npm ci first); the output is committed, so running the project needs no npm.
import { compile } from "sass";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.join(here, "node_modules", "@uswds", "uswds");
const out = path.resolve(here, "..", "..", "diversion", "static", "vendor", "uswds");
const version = JSON.parse(fs.readFileSync(path.join(pkg, "package.json"))).version;

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, "css"), { recursive: true });
fs.mkdirSync(path.join(out, "js"), { recursive: true });

const { css } = compile(path.join(here, "uswds.scss"), {
  loadPaths: [path.join(pkg, "packages")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin"],
});
// Fonts: woff2 only (every browser the program supports reads it); drop the older formats.
const trimmed = css
  .replace(/src:url\(([^)]*?)\.woff2\)\s*format\("woff2"\)[^;}]*/g, 'src:url($1.woff2) format("woff2")')
  .replace(/^\/\*![^*]*\*\//, "");
const banner = `/*! USWDS ${version} (trimmed build, ops/uswds/uswds.scss), see LICENSE.md */\n`;
fs.writeFileSync(path.join(out, "css", "uswds.min.css"), banner + trimmed);

// Every url(...) the CSS names, resolved against the css directory and copied from dist/.
const urls = new Set([...trimmed.matchAll(/url\(["']?([^"')]+)["']?\)/g)].map((m) => m[1])
  .filter((u) => !u.startsWith("data:")));
for (const u of urls) {
  const rel = path.normalize(path.join("css", u)).replace(/^(\.\.\/)+/, "");
  const src = path.join(pkg, "dist", rel);
  if (!fs.existsSync(src)) { console.error(`missing asset ${rel}`); process.exitCode = 1; continue; }
  fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
  fs.copyFileSync(src, path.join(out, rel));
}
// Without its source map (not vendored): the manifest storage would refuse the dangling link.
const js = fs.readFileSync(path.join(pkg, "dist", "js", "uswds.min.js"), "utf8")
  .replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n");
fs.writeFileSync(path.join(out, "js", "uswds.min.js"), js);
fs.copyFileSync(path.join(pkg, "LICENSE.md"), path.join(out, "LICENSE.md"));
fs.writeFileSync(path.join(out, "SOURCE.txt"),
  `@uswds/uswds ${version} from the npm registry (https://github.com/uswds/uswds).\n` +
  `css/uswds.min.css is compiled from its Sass packages by ops/uswds (make uswds): only the\n` +
  `components listed in ops/uswds/uswds.scss, Public Sans (regular, bold, their italics; woff2), and the\n` +
  `icons those components use. js/uswds.min.js is dist/js/uswds.min.js without its\n` +
  `source-map comment.\n`);
console.log(`USWDS ${version}: ${urls.size} assets, css ${Buffer.byteLength(banner + trimmed)} bytes`);
