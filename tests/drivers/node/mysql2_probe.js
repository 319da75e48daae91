// mysql2_probe: node-mysql2 as an application uses it, one line per check, so a test can
// compare MariaDB directly with proxyd.
//   json TYPEOF VALUE   a JSON column read back (an object when the driver knows it is JSON)
//   charset TEXT        text sent after SET character_set_client = koi8r (the driver
//                       follows the change through session tracking)
//   changeuser USER     CURRENT_USER() after conn.changeUser to the second account
//   error CODE MESSAGE  any failure, then the next check
// Usage: node mysql2_probe.js HOST PORT USER PASS USER2 PASS2 (database testdb exists).
'use strict';
const mysql = require('mysql2/promise');

async function main() {
  const [host, port, user, password, user2, password2] = process.argv.slice(2);
  const conn = await mysql.createConnection({host, port: Number(port), user, password,
                                             database: 'testdb', connectTimeout: 30000});
  const step = async (fn) => {
    try { await fn(); } catch (e) { console.log(`error ${e.errno} ${e.message}`); }
  };
  await step(async () => {
    await conn.query('CREATE OR REPLACE TABLE node_json (doc JSON)');
    await conn.query('INSERT INTO node_json VALUES (\'{"a": 1}\')');
    const [rows] = await conn.query('SELECT doc FROM node_json');
    console.log(`json ${typeof rows[0].doc} ${JSON.stringify(rows[0].doc)}`);
    await conn.query('DROP TABLE node_json');
  });
  await step(async () => {
    await conn.query('SET character_set_client = koi8r');
    const [rows] = await conn.query("SELECT 'привет' AS t");
    console.log(`charset ${rows[0].t}`);
    await conn.query('SET character_set_client = utf8mb4');
  });
  await step(async () => {
    await conn.changeUser({user: user2, password: password2, database: 'testdb'});
    const [rows] = await conn.query('SELECT CURRENT_USER() AS u');
    console.log(`changeuser ${rows[0].u}`);
  });
  await conn.end();
}

main().catch((e) => { console.log(`error ${e.errno} ${e.message}`); process.exit(1); });
