// Self time by package and by function in a .cpuprofile (from scripts/cpu-profile.mjs or node --cpu-prof).
//   node scripts/profile-summary.mjs FILE [TOP=20]
import { readFileSync } from "node:fs";

const [file, top = "20"] = process.argv.slice(2);
if (!file) {
  console.error("usage: node scripts/profile-summary.mjs FILE.cpuprofile [TOP]");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const byFunction = new Map();
const byPackage = new Map();
let total = 0;
const add = (map, key, t) => map.set(key, (map.get(key) ?? 0) + t);
profile.samples.forEach((id, i) => {
  const t = profile.timeDeltas[i] ?? 0;
  total += t;
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const where = url.replace(/^file:\/\//, "");
  add(byFunction, `${functionName || "(anonymous)"} ${where.split("/").slice(-2).join("/")}:${lineNumber + 1}`, t);
  const pkg = where.match(/node_modules\/((@[^/]+\/)?[^/]+)/)?.[1];
  const ours = where.includes("/dist/") ? `ours: ${where.split("/dist/")[1].split("/").slice(0, 2).join("/")}` : undefined;
  const builtin = where.startsWith("node:") ? `node: ${where.slice(5).split("/")[0]}` : undefined;
  add(byPackage, pkg ?? ours ?? builtin ?? (functionName.startsWith("(") ? functionName : "(native)"), t);
});
const show = (map) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(top))
    .map(([k, t]) => `${((100 * t) / total).toFixed(1).padStart(5)} %  ${k}`)
    .join("\n");
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n\nby package:\n${show(byPackage)}\n\nby function:\n${show(byFunction)}`);
