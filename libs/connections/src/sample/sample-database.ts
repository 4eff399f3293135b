import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const SAMPLE_FILE = 'sample.sqlite';

const CUSTOMERS = 200;
const PRODUCTS = 40;
const ORDERS = 1500;
const COUNTRIES = ['DE', 'FR', 'NL', 'PL', 'SE', 'US', 'GB', 'ES'];
const STATUSES = ['new', 'paid', 'shipped', 'shipped', 'shipped', 'cancelled'];
const FIRST = ['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Niklaus'];
const LAST = ['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton', 'Wirth'];
const GOODS = ['cable', 'adapter', 'switch', 'router', 'patch panel', 'rack shelf', 'fan', 'power strip'];
const GRADES = ['basic', 'pro', 'max', 'mini', 'plus'];
/** 2026-01-01T00:00:00Z; orders spread over the year after it. */
const START = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

const SCHEMA = `
  CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    price_cents INTEGER NOT NULL CHECK (price_cents > 0)
  );
  CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    status TEXT NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
    ordered_at TEXT NOT NULL
  );
  CREATE INDEX orders_customer ON orders (customer_id);
  CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders (id),
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
  );
  CREATE VIEW order_totals AS
    SELECT o.id AS order_id, o.customer_id, o.status, o.ordered_at,
           count(*) AS items, sum(i.quantity * i.unit_price_cents) AS total_cents
    FROM orders o JOIN order_items i ON i.order_id = o.id
    GROUP BY o.id;
`;

/** Deterministic (mulberry32): every fresh install gets the same rows, so docs can quote them. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Builds the sample shop (customers, products, orders, order_items, view order_totals; about
 * 5,000 rows) as `sample.sqlite` under the SQLite root, private (0600) like the service's other
 * data files. Built beside it and linked into place, so a file already there is never
 * overwritten and nobody sees a half-built one. Returns false when the name is taken.
 */
export function createSampleDatabase(sqliteRoot: string): boolean {
  fs.mkdirSync(sqliteRoot, { recursive: true, mode: 0o700 });
  const target = path.join(sqliteRoot, SAMPLE_FILE);
  if (fs.existsSync(target)) return false;
  const building = path.join(sqliteRoot, `.${SAMPLE_FILE}.${process.pid}.building`);
  fs.rmSync(building, { force: true });
  fs.closeSync(fs.openSync(building, 'wx', 0o600));
  try {
    const db = new Database(building);
    try {
      db.pragma('foreign_keys = ON');
      db.transaction(() => fill(db))();
    } finally {
      db.close();
    }
    fs.linkSync(building, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(building, { force: true });
  }
}

function fill(db: Database.Database): void {
  const random = seeded(14);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  db.exec(SCHEMA);
  const customer = db.prepare('INSERT INTO customers (id, name, email, country, created_at) VALUES (?, ?, ?, ?, ?)');
  for (let id = 1; id <= CUSTOMERS; id++) {
    const name = `${pick(FIRST)} ${pick(LAST)}`;
    const email = `${name.toLowerCase().replace(' ', '.')}.${id}@example.com`;
    customer.run(id, name, email, pick(COUNTRIES), new Date(START - Math.floor(random() * 365) * DAY).toISOString());
  }
  const product = db.prepare('INSERT INTO products (id, name, price_cents) VALUES (?, ?, ?)');
  const prices: number[] = [];
  for (let id = 1; id <= PRODUCTS; id++) {
    prices[id] = 199 + Math.floor(random() * 200) * 50;
    product.run(id, `${GOODS[(id - 1) % GOODS.length]} ${GRADES[Math.floor((id - 1) / GOODS.length)]}`, prices[id]);
  }
  const order = db.prepare('INSERT INTO orders (id, customer_id, status, ordered_at) VALUES (?, ?, ?, ?)');
  const item = db.prepare('INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (?, ?, ?, ?)');
  for (let id = 1; id <= ORDERS; id++) {
    order.run(id, 1 + Math.floor(random() * CUSTOMERS), pick(STATUSES), new Date(START + Math.floor(random() * 365 * DAY)).toISOString());
    // 1 to 4 distinct products: the first at random, the rest after it.
    const first = 1 + Math.floor(random() * PRODUCTS);
    const count = 1 + Math.floor(random() * 4);
    for (let n = 0; n < count; n++) {
      const productId = ((first - 1 + n * 7) % PRODUCTS) + 1;
      item.run(id, productId, 1 + Math.floor(random() * 5), prices[productId]);
    }
  }
}
