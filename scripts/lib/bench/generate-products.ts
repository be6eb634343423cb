// Synthetic products for the seed benchmark. Product i is a pure function of i, so the JSON file
// the seed reads and the COPY file the raw-COPY baseline reads hold exactly the same rows, and a
// run is reproducible. Content is deliberately varied: unicode (accents, CJK, astral emoji),
// descriptions that are missing, null or carry tabs/newlines/backslashes (COPY escaping), nested
// attributes, prices with cents.
import { createWriteStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type Product, inventoryRowLine, productRowLine } from '../seed/products.js'

const WORDS: Record<
  string,
  { prefix: string; nouns: string[]; attributes: (h: (k: number) => number) => Record<string, unknown> }
> = {
  electronics: {
    prefix: 'ELEC',
    nouns: ['USB‑C Charger', 'Headphones', 'E‑Reader', 'Smart Plug', 'Keyboard', 'Webcam', 'Power Bank', 'Speaker'],
    attributes: h => ({
      watts: 5 + (h(1) % 120),
      ports: 1 + (h(2) % 4),
      wireless: h(3) % 2 === 0,
      colors: ['graphite', 'silver', 'sand'].slice(0, 1 + (h(4) % 3)),
    }),
  },
  'home-kitchen': {
    prefix: 'HOME',
    nouns: [
      'Pour‑Over Kettle',
      'Chef’s Knife',
      'Cast‑Iron Skillet',
      'Espresso Cups',
      'Cutting Board',
      'Crème Brûlée Set',
    ],
    attributes: h => ({
      material: ['steel', 'oak', 'ceramic', 'cast iron'][h(1) % 4],
      capacity_ml: 100 * (1 + (h(2) % 20)),
      dishwasher_safe: h(3) % 3 !== 0,
    }),
  },
  outdoor: {
    prefix: 'OUT',
    nouns: ['Trail Tent', 'Daypack', 'Sleeping Bag', 'Headlamp', 'Trekking Poles', 'Camp Stove'],
    attributes: h => ({
      weight_g: 80 + (h(1) % 4000),
      season: 1 + (h(2) % 4),
      rating: { temp_c: -10 + (h(3) % 25), tested: h(4) % 2 === 0 },
    }),
  },
  books: {
    prefix: 'BOOK',
    nouns: ['Field Guide', 'Cookbook', 'Novel', 'Atlas', 'Poetry Collection', '東京 Travel Notes'],
    attributes: h => ({
      pages: 80 + (h(1) % 900),
      isbn: `978${String(h(2) % 10_000_000_000).padStart(10, '0')}`,
      language: ['en', 'de', 'fr', 'ja'][h(3) % 4],
    }),
  },
  apparel: {
    prefix: 'APP',
    nouns: ['Merino Tee', 'Rain Jacket', 'Wool Socks', 'Fleece Hoodie', 'Linen Shirt', 'Beanie'],
    attributes: h => ({
      sizes: ['XS', 'S', 'M', 'L', 'XL'].slice(h(1) % 3),
      fit: ['slim', 'regular', 'relaxed'][h(2) % 3],
      care: { wash_c: 30 + 10 * (h(3) % 3) },
    }),
  },
}

const ADJECTIVES = [
  'Aurora',
  'Nordlys',
  'Café',
  'Zürich',
  'Ærø',
  'Quiet Hour',
  'Naïve',
  'Señor',
  'Kōya',
  'Ultralight',
  'Everyday',
  'Pro',
]
const EXTRAS = ['', '', '', ' — 2‑Pack', ' (Glare‑Free)', ' ½ Size', ' 🔥 Limited', ' "Classic"', ' 10°C Edition', ' ™']
const SENTENCES = [
  'Built to last, easy to repair, and covered by a five-year warranty.',
  'Tested by our team over a whole season; ships in recycled packaging.',
  'Ein Klassiker — jetzt leichter und günstiger.',
  'Fits most setups; see the size chart for details.',
  '軽くて丈夫。毎日使えます。',
]

/** A cheap integer hash of (i, k): stable across runs and platforms. */
function hash(i: number, k: number): number {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(k + 1, 0xc2b2ae35)
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  return x >>> 0
}

/** The i-th product (0-based) over the given category slugs (data/categories.json). */
export function product(i: number, slugs: readonly string[]): Product {
  const h = (k: number) => hash(i, k)
  const category = slugs[i % slugs.length]
  const words = WORDS[category] ?? { prefix: 'GEN', nouns: ['Item'], attributes: () => ({}) }
  const roll = h(10) % 100
  const description =
    roll < 8
      ? null
      : roll < 10
        ? `Line one\twith a tab\nline two with a back\\slash.`
        : `${SENTENCES[h(11) % SENTENCES.length]} ${SENTENCES[h(12) % SENTENCES.length]}`
  return {
    sku: `BENCH-${words.prefix}-${String(i).padStart(7, '0')}`,
    title: `${ADJECTIVES[h(20) % ADJECTIVES.length]} ${words.nouns[h(21) % words.nouns.length]}${EXTRAS[h(22) % EXTRAS.length]}`,
    description,
    price: (99 + (h(30) % 99_900)) / 100,
    stock: h(31) % 5000,
    category,
    attributes: words.attributes(k => h(40 + k)),
  }
}

async function writeLines(
  path: string,
  rows: number,
  line: (i: number) => string,
  head = '',
  tail = '',
): Promise<void> {
  async function* text() {
    yield head
    // Batches keep the stream's per-chunk overhead out of the way; 10k lines is ~2.5 MB.
    for (let start = 0; start < rows; start += 10_000) {
      let batch = ''
      for (let i = start; i < Math.min(rows, start + 10_000); i++) batch += line(i)
      yield batch
    }
    yield tail
  }
  await pipeline(Readable.from(text()), createWriteStream(path))
}

/** products.json-shaped file: a JSON array, one product object per line. */
export async function writeProductsJson(path: string, rows: number, slugs: readonly string[]): Promise<void> {
  await writeLines(path, rows, i => `${i === 0 ? '' : ',\n'}  ${JSON.stringify(product(i, slugs))}`, '[\n', '\n]\n')
}

/** A fixed id per product, so the raw-COPY baseline can write inventory rows that point at it. */
export const productId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`

/**
 * The same rows as COPY text for public.products (id, sku, title, description, price, stock,
 * category_id, attributes), as the seed writes them into empty tables.
 */
export async function writeProductsCopy(
  path: string,
  rows: number,
  slugs: readonly string[],
  categoryIds: ReadonlyMap<string, string>,
): Promise<void> {
  await writeLines(path, rows, i => {
    const p = product(i, slugs)
    const id = categoryIds.get(p.category)
    if (!id) throw new Error(`category ${p.category} has no id on the PRIMARY`)
    return productRowLine(productId(i), p, id)
  })
}

/** COPY text for public.inventory (product_id, warehouse, quantity): what the seed derives from stock. */
export async function writeInventoryCopy(path: string, rows: number, slugs: readonly string[]): Promise<void> {
  await writeLines(path, rows, i => inventoryRowLine(productId(i), product(i, slugs)))
}
