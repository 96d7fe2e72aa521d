'use strict';
// An HTTP service whose handlers query PostgreSQL in blocking style: each
// request runs in its own tasklet and waits on the database with blockOn().
const { blockOn } = require('tasklet');
const { serve, readBody } = require('tasklet/http');
const { Pool } = require('pg');

/** Creates the server over a pg Pool; call server.listen(port) to start it. */
function createServer(pool) {
  const server = serve((req, res) => {
    const send = (status, value) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const match = /^\/notes(?:\/(\d+))?$/.exec(req.url);
    if (!match) return send(404, { error: 'not found' });
    if (req.method === 'POST' && !match[1]) {
      const { text } = JSON.parse(readBody(req).toString() || '{}');
      if (typeof text !== 'string') return send(400, { error: 'text must be a string' });
      const { rows } = blockOn(pool.query('INSERT INTO notes (text) VALUES ($1) RETURNING id, text', [text]));
      return send(201, rows[0]);
    }
    if (req.method === 'GET' && match[1]) {
      const { rows } = blockOn(pool.query('SELECT id, text FROM notes WHERE id = $1', [Number(match[1])]));
      return rows.length ? send(200, rows[0]) : send(404, { error: 'no such note' });
    }
    if (req.method === 'GET') {
      const { rows } = blockOn(pool.query('SELECT count(*)::int AS count FROM notes'));
      return send(200, rows[0]);
    }
    return send(405, { error: 'method not allowed' });
  });
  server.on('handlerError', (error) => console.error('handler failed:', error.message));
  return server;
}

/** Creates the table the service uses. */
async function migrate(pool) {
  await pool.query('CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, text text NOT NULL)');
}

module.exports = { createServer, migrate };

if (require.main === module) {
  const pool = new Pool(); // PGHOST, PGPORT, PGUSER, PGDATABASE from the environment
  migrate(pool).then(() => {
    const port = Number(process.env.PORT || 8080);
    createServer(pool).listen(port, () => console.log(`listening on http://127.0.0.1:${port}/notes`));
  });
}
