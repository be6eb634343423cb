// The bench's plots as hand-written SVG (no plotting dependency): a latency CDF on a log axis and
// horizontal throughput bars. Plain shapes and text only, so they render on GitHub and anywhere else.

export interface CdfSeries {
  label: string
  values: readonly number[]
  colour: string
  dashed?: boolean
}

export interface Bar {
  label: string
  value: number
  /** Text shown at the bar's end, e.g. "812,345 rows/s (1.00×)". */
  text: string
  baseline?: boolean
}

export interface BarPanel {
  title: string
  bars: Bar[]
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'
const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const f = (n: number) => n.toFixed(1)

function svg(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n')
}

/** The plot area and its log10 x scale (ms) and linear y scale (fraction). */
interface Frame {
  box: { left: number; right: number; top: number; bottom: number }
  lo: number
  hi: number
  x: (v: number) => number
  y: (p: number) => number
}

/**
 * Empirical CDFs (fraction of canaries arrived within x ms) on a log10 x axis, with the targets
 * drawn as vertical markers.
 */
export function cdfPlot(title: string, series: CdfSeries[], markers: { at: number; label: string }[]): string {
  const width = 760
  const height = 440
  const box = { left: 60, right: width - 20, top: 40, bottom: height - 90 }
  const all = series.flatMap(s => s.values).filter(v => v > 0)
  const lo = Math.floor(Math.log10(Math.max(0.01, Math.min(...all, ...markers.map(m => m.at)))))
  const hi = Math.ceil(Math.log10(Math.max(...all, ...markers.map(m => m.at))))
  const frame: Frame = {
    box,
    lo,
    hi,
    x: v => box.left + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo || 1)) * (box.right - box.left),
    y: p => box.bottom - p * (box.bottom - box.top),
  }
  const body = [
    ...cdfAxes(frame),
    ...cdfMarkers(frame, markers),
    ...series.flatMap(s => cdfCurve(frame, s)),
    ...cdfLegend(series, height),
  ]
  return svg(width, height, title, body)
}

/** Grid, ticks, the p99 line, the frame and the axis titles. */
function cdfAxes({ box, lo, hi, x, y }: Frame): string[] {
  const body: string[] = []
  for (let d = lo; d <= hi; d++) {
    for (const m of d < hi ? [1, 2, 5] : [1]) {
      const v = m * 10 ** d
      const px = f(x(v))
      body.push(
        `<line x1="${px}" y1="${box.top}" x2="${px}" y2="${box.bottom}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`,
      )
      body.push(`<text x="${px}" y="${box.bottom + 16}" text-anchor="middle">${v >= 1 ? v : v.toPrecision(1)}</text>`)
    }
  }
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    body.push(`<line x1="${box.left}" y1="${f(y(p))}" x2="${box.right}" y2="${f(y(p))}" stroke="#eee"/>`)
    body.push(`<text x="${box.left - 6}" y="${f(y(p) + 4)}" text-anchor="end">${p}</text>`)
  }
  // p99 is what the targets speak of; labelled inside the plot, it does not crowd the 1 above it.
  body.push(
    `<line x1="${box.left}" y1="${f(y(0.99))}" x2="${box.right}" y2="${f(y(0.99))}" stroke="#bbb" stroke-dasharray="4 3"/>`,
  )
  body.push(`<text x="${box.left + 6}" y="${f(y(0.99) + 14)}" fill="#555">p99</text>`)
  body.push(
    `<rect x="${box.left}" y="${box.top}" width="${box.right - box.left}" height="${box.bottom - box.top}" fill="none" stroke="#444"/>`,
  )
  body.push(
    `<text x="${(box.left + box.right) / 2}" y="${box.bottom + 36}" text-anchor="middle">latency, ms (log scale): replica's arrival stamp − PRIMARY's insert stamp</text>`,
  )
  body.push(
    `<text x="16" y="${(box.top + box.bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(box.top + box.bottom) / 2})">fraction of canaries</text>`,
  )
  return body
}

/** Target labels go down the plot one line each, so neighbouring targets never overprint. */
function cdfMarkers({ box, x }: Frame, markers: { at: number; label: string }[]): string[] {
  return markers.flatMap((m, i) => [
    `<line x1="${f(x(m.at))}" y1="${box.top}" x2="${f(x(m.at))}" y2="${box.bottom}" stroke="#888" stroke-dasharray="2 3"/>`,
    `<text x="${f(x(m.at) + 4)}" y="${box.top + 40 + i * 16}" fill="#555">${escapeXml(m.label)}</text>`,
  ])
}

/** One series as a step curve: each sorted value raises the fraction by 1/n. */
function cdfCurve({ x, y }: Frame, s: CdfSeries): string[] {
  const sorted = [...s.values].sort((a, b) => a - b)
  if (!sorted.length) return []
  let d = `M${f(x(sorted[0]))},${f(y(0))}`
  sorted.forEach((v, i) => {
    d += ` H${f(x(v))} V${f(y((i + 1) / sorted.length))}`
  })
  return [
    `<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
  ]
}

function cdfLegend(series: CdfSeries[], height: number): string[] {
  return series.flatMap((s, i) => {
    const lx = 60 + (i % 2) * 340
    const ly = height - 36 + Math.floor(i / 2) * 18
    return [
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 28}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 34}" y="${ly}">${escapeXml(s.label)}</text>`,
    ]
  })
}

/** Horizontal bars, one panel per comparison, each panel on its own linear scale. */
export function barChart(
  title: string,
  panels: BarPanel[],
  legend = 'blue: replkit · grey: baseline measured in the same run · longer is faster',
): string {
  const width = 860,
    labelWidth = 250,
    textWidth = 230,
    barHeight = 22,
    gap = 8
  const plotWidth = width - labelWidth - textWidth - 20
  let top = 40
  const body: string[] = []
  for (const panel of panels) {
    body.push(`<text x="10" y="${top + 14}" font-weight="bold">${escapeXml(panel.title)}</text>`)
    top += 24
    const max = Math.max(...panel.bars.map(b => b.value), Number.MIN_VALUE)
    for (const bar of panel.bars) {
      const w = Math.max(1, (bar.value / max) * plotWidth)
      body.push(`<text x="${labelWidth - 8}" y="${top + 15}" text-anchor="end">${escapeXml(bar.label)}</text>`)
      body.push(
        `<rect x="${labelWidth}" y="${top}" width="${f(w)}" height="${barHeight}" fill="${bar.baseline ? '#9aa5b1' : '#2b6cb0'}"/>`,
      )
      body.push(`<text x="${f(labelWidth + w + 6)}" y="${top + 15}">${escapeXml(bar.text)}</text>`)
      top += barHeight + gap
    }
    top += 14
  }
  body.push(`<text x="10" y="${top + 4}" fill="#555">${escapeXml(legend)}</text>`)
  return svg(width, top + 20, title, body)
}
