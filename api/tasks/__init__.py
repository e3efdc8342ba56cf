"""Background work on a task engine: what the jobs are (`catalogue`), and the engines that run them.

On PostgreSQL the engine is procrastinate (`postgres_engine`): jobs are rows in the same database, so no broker
runs beside it, any number of `resonance worker` processes share them, and a worker that dies has its jobs taken
over. On the embedded SQLite default an in-process engine (`in_process`) runs the same jobs behind the same
interface (`engine.TaskEngine`). Either way the tables the jobs work on (`sync_runs`, `webhook_deliveries`,
`meter_event_deliveries`, `generated_reports`) stay the ledger: every handler claims its row by a compare-and-set
first, so a job run twice, or a job whose worker was killed and which ran again, changes nothing twice.
"""
