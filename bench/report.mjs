// Writes bench/results/report.md and one CASE.svg per case (a horizontal bar chart of every
// impl's median, ours highlighted, min-max whiskers from the runs). No dependencies.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { advantage } from './harness.mjs';

const OURS = 'wasm-ipc';

/** 1.23 M, 12.3 k, or the number as it is (as the console table shows it). */
export function fmt(x) {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e4 ? `${(x / 1e3).toFixed(1)} k` : String(x);
}

const xml = (s) => String(s).replace(/[&<>"']/g, (ch) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[ch]};`);
const cell = (s) => String(s).replace(/\|/g, '\\|');
const direction = (c) => (c.better === 'lower' ? 'lower is better' : 'higher is better');

/** "2.10× faster" / "2.10× more", as run.mjs prints it (>1: ours wins); spelled out when ours is behind. */
function versus(c, ours, r) {
  if (r.impl === OURS || !ours) return '—';
  const adv = advantage(c, ours.median, r.median);
  const [win, lose] = c.better === 'lower' ? ['faster', 'slower'] : ['more', 'less'];
  return adv >= 1 ? `${adv.toFixed(2)}× ${win}` : `${adv.toFixed(2)}× (ours ${(1 / adv).toFixed(2)}× ${lose})`;
}

/**
 * rows: the harness's rows; cases: the case objects run (for `better`, `metric`); dir: the output
 * directory (created if missing); meta: { cores, cpu, node, platform, reps, date, problems }.
 * Returns the path of report.md.
 */
export function writeReport(rows, cases, dir, meta = {}) {
  mkdirSync(dir, { recursive: true });
  const md = [
    '# wasm-ipc benchmarks',
    '',
    'Written by `npm run bench`: ours (`wasm-ipc`) and the peers in the same run (each case in a process of its own), repetitions alternated, median shown.',
    '',
    `- Machine: ${meta.cores} cores${meta.cpu ? ` (${meta.cpu})` : ''}${meta.platform ? `, ${meta.platform}` : ''}`,
    `- Node: ${meta.node}`,
    `- Repetitions: ${meta.reps} per impl, after one warm-up`,
    `- Date: ${meta.date}`,
    '',
  ];
  if (meta.problems?.length) {
    md.push('**Check failures (the figures below are not trustworthy):**', '', ...meta.problems.map((p) => `- ${p}`), '');
  }
  for (const c of cases) {
    const rs = rows.filter((r) => r.case === c.name);
    if (!rs.length) continue;
    const ours = rs.find((r) => r.impl === OURS);
    md.push(`## ${c.name}`, '', `${rs[0].metric}, ${rs[0].threads} thread${rs[0].threads === 1 ? '' : 's'}; ${direction(c)}.`, '');
    md.push('| impl | median | unit | runs (min–max) | ours vs this |', '|---|---:|---|---:|---:|');
    for (const r of rs) {
      const name = r.impl === OURS ? `**${r.impl}**` : r.impl;
      const range = `${fmt(Math.min(...r.runs))}–${fmt(Math.max(...r.runs))}`;
      md.push(`| ${cell(name)} | ${fmt(r.median)} | ${cell(r.unit)} | ${range} | ${versus(c, ours, r)} |`);
    }
    md.push('', `![${c.name}](${c.name}.svg)`, '');
    writeFileSync(join(dir, `${c.name}.svg`), chart(c, rs));
  }
  const file = join(dir, 'report.md');
  writeFileSync(file, md.join('\n'));
  return file;
}

/** A plain horizontal bar chart: one bar per impl's median, whisker from min to max of its runs. */
export function chart(c, rs) {
  const W = 640, labelW = 150, valueW = 120, barH = 18, rowH = 30, top = 48, bottom = 24;
  const plotW = W - labelW - valueW;
  const H = top + rs.length * rowH + bottom;
  // Scaled on the medians (one slow outlier run must not squash every bar); whiskers beyond are clipped.
  const max = Math.max(...rs.map((r) => r.median)) * 1.2 || 1;
  const x = (v) => labelW + (Math.min(v, max) / max) * plotW;
  const unit = rs[0].unit;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${xml(`${c.name}: ${rs[0].metric} (${unit}), ${direction(c)}`)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold" fill="#212529">${xml(c.name)}</text>`,
    `<text x="10" y="37" fill="#495057">${xml(`${rs[0].metric}, median ${unit} (${direction(c)}); whiskers: min–max of the runs (an arrow runs off the scale)`)}</text>`,
    `<line x1="${labelW}" y1="${top - 4}" x2="${labelW}" y2="${H - bottom + 4}" stroke="#adb5bd"/>`,
  ];
  rs.forEach((r, i) => {
    const y = top + i * rowH + (rowH - barH) / 2;
    const mid = y + barH / 2;
    const ours = r.impl === OURS;
    const lo = Math.min(...r.runs), hi = Math.max(...r.runs);
    out.push(
      `<text x="${labelW - 8}" y="${mid + 4}" text-anchor="end" fill="#212529"${ours ? ' font-weight="bold"' : ''}>${xml(r.impl)}</text>`,
      `<rect x="${labelW}" y="${y}" width="${Math.max(1, x(r.median) - labelW).toFixed(1)}" height="${barH}" fill="${ours ? '#e8590c' : '#868e96'}"/>`,
    );
    if (hi > lo) {
      out.push(
        `<line x1="${x(lo).toFixed(1)}" y1="${mid}" x2="${x(hi).toFixed(1)}" y2="${mid}" stroke="#212529"/>`,
        `<line x1="${x(lo).toFixed(1)}" y1="${mid - 5}" x2="${x(lo).toFixed(1)}" y2="${mid + 5}" stroke="#212529"/>`,
        hi > max // clipped: an arrowhead at the edge instead of a cap
          ? `<path d="M${x(hi) - 6} ${mid - 4} L${x(hi)} ${mid} L${x(hi) - 6} ${mid + 4}" fill="none" stroke="#212529"/>`
          : `<line x1="${x(hi).toFixed(1)}" y1="${mid - 5}" x2="${x(hi).toFixed(1)}" y2="${mid + 5}" stroke="#212529"/>`,
      );
    }
    const lx = Math.max(x(r.median), x(hi)) + 6;
    out.push(`<text x="${lx.toFixed(1)}" y="${mid + 4}" fill="#212529"${ours ? ' font-weight="bold"' : ''}>${xml(`${fmt(r.median)} ${unit}`)}</text>`);
  });
  out.push('</svg>', '');
  return out.join('\n');
}
