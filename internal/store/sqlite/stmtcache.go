package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
)

// SQLite parses a statement's SQL each time it is prepared, and the driver
// prepares every query it is given: under load, parsing was a fifth of the
// CPU of a code exchange. The connections opened here keep each statement
// they prepared, by its SQL, and run it again the next time the same SQL
// comes. database/sql prepares a query on the connection, runs it and
// closes the statement when its rows are closed; closing a kept statement
// only marks it free. A statement still in use (rows not yet closed) is not
// handed out twice: the second use gets a statement of its own, as does
// any SQL past the first maxKeptStatements of a connection.
const maxKeptStatements = 256

// connector opens SQLite connections that keep their statements.
type connector struct {
	dsn string
	drv *sqlite.Driver
}

func (c connector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("sqlite: the driver's connection lacks the methods this store uses")
	}
	return &keepingConn{conn: inner, kept: map[string]*keptStmt{}}, nil
}

func (c connector) Driver() driver.Driver { return c.drv }

// sqliteConn is what the driver's connection does and keepingConn passes
// on. It does not pass on QueryerContext and ExecerContext: without them,
// database/sql prepares each query through PrepareContext.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// keepingConn is a connection that keeps its prepared statements. Like
// every driver connection, it is used by one goroutine at a time.
type keepingConn struct {
	conn sqliteConn
	kept map[string]*keptStmt
}

func (c *keepingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *keepingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if s := c.kept[query]; s != nil {
		if s.inUse {
			return c.conn.PrepareContext(ctx, query)
		}
		s.inUse = true
		return s, nil
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil || len(c.kept) >= maxKeptStatements {
		return st, err
	}
	inner, ok := st.(stmt)
	if !ok {
		return st, nil
	}
	s := &keptStmt{stmt: inner, inUse: true}
	c.kept[query] = s
	return s, nil
}

func (c *keepingConn) Close() error {
	for q, s := range c.kept {
		_ = s.stmt.Close()
		delete(c.kept, q)
	}
	return c.conn.Close()
}

// Begin is driver.Conn's; database/sql calls BeginTx.
func (c *keepingConn) Begin() (driver.Tx, error) {
	return c.conn.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *keepingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.BeginTx(ctx, opts)
}

func (c *keepingConn) Ping(ctx context.Context) error { return c.conn.Ping(ctx) }

func (c *keepingConn) ResetSession(ctx context.Context) error { return c.conn.ResetSession(ctx) }

func (c *keepingConn) IsValid() bool { return c.conn.IsValid() }

// stmt is what the driver's statement does.
type stmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// keptStmt is a statement its connection keeps; Close frees it for the
// next use of its SQL.
type keptStmt struct {
	stmt
	inUse bool
}

func (s *keptStmt) Close() error {
	s.inUse = false
	return nil
}
