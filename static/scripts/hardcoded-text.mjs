// Lists text a component shows that is not from the message catalogs (src/i18n): JSX text
// with letters, user-facing attributes given as string literals, and string literals a
// JSX expression renders directly (`{done ? "Done" : "Running"}`). Prints one line per
// finding (file:line: text) and exits 1 when there is any.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";

const ROOT = new URL("../src/", import.meta.url).pathname;
const ATTRIBUTES = new Set(["title", "aria-label", "placeholder", "alt", "label", "aria-description"]);
const ALLOWED = new Set(["LayerLab"]); // the name reads the same in every language
const LETTERS = /\p{L}{2,}/u;

function files(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".tsx") ? [path] : [];
  });
}

/** Whether a string literal's value reaches JSX as it is (through ?:, &&, ||, ?? or parens). */
function rendered(node) {
  let child = node;
  for (let parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (ts.isJsxExpression(parent)) return !ts.isJsxAttribute(parent.parent) || ATTRIBUTES.has(parent.parent.name.getText());
    if (ts.isParenthesizedExpression(parent)) continue;
    if (ts.isConditionalExpression(parent) && parent.condition !== child) continue;
    if (ts.isBinaryExpression(parent) && ["&&", "||", "??"].includes(parent.operatorToken.getText()) && parent.right === child) continue;
    return false;
  }
  return false;
}

const findings = [];
for (const path of files(ROOT)) {
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const report = (node, text) => {
    const clean = text.replace(/\s+/g, " ").trim();
    if (!LETTERS.test(clean) || ALLOWED.has(clean)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    findings.push(`${relative(ROOT, path)}:${line}: ${clean}`);
  };
  const visit = (node) => {
    if (ts.isJsxText(node)) report(node, node.text);
    else if (ts.isJsxAttribute(node) && ATTRIBUTES.has(node.name.getText()) && node.initializer && ts.isStringLiteral(node.initializer)) {
      report(node, node.initializer.text);
    } else if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && rendered(node)) report(node, node.text);
    else if (ts.isTemplateExpression(node) && rendered(node)) report(node, node.getText().slice(1, -1));
    ts.forEachChild(node, visit);
  };
  visit(source);
}
for (const finding of findings) console.log(finding);
process.exit(findings.length ? 1 : 0);
