// Segment's Node library (@segment/analytics-node, pinned in package-lock.json) sends the
// calls of tests/api/test_ingest_clients.py to a userops server: node send.mjs BASE KEY PREFIX
import { Analytics } from "@segment/analytics-node";

const [base, writeKey, prefix] = process.argv.slice(2);
const errors = [];
const analytics = new Analytics({ writeKey, host: base, flushAt: 20, maxRetries: 1 });
analytics.on("error", (err) => errors.push(String(err?.reason ?? err?.message ?? err)));

const userId = `${prefix}-user`;
analytics.track({ anonymousId: `${prefix}-anon`, event: "Product Viewed", properties: { sku: "b1" } });
analytics.identify({
  userId,
  anonymousId: `${prefix}-anon`,
  traits: { email: `${prefix}@Example.com`, phone: "13900003333", consent_sms: true },
  context: { timezone: "Asia/Tokyo", locale: "en-US" },
});
const order = { total: 88.0, products: [{ sku: "b1", price: 44, quantity: 2 }] };
analytics.track({ userId, event: "Order Completed", properties: order, messageId: `${prefix}-order-1` });
analytics.track({ userId, event: "Order Completed", messageId: `${prefix}-order-1` }); // again
analytics.page({ userId, category: "coffee", name: "Beans" });
analytics.screen({ userId, name: "Cart" });
analytics.group({ userId, groupId: "acme", traits: { plan: "team" } });
analytics.alias({ previousId: `${prefix}-legacy`, userId });
await analytics.closeAndFlush({ timeout: 20000 });
console.log(JSON.stringify({ errors }));
process.exit(errors.length ? 1 : 0);
