// mirrors assembly/ticketlock.ts: serve, wakeSlot, own, abandon, ticket_lock, ticket_unlock
//
// Three processes each lock and unlock ITERS times. A waiter with ticket t parks on the
// wake counter wakes[t % WAKES]; serving ticket s bumps wakes[s % WAKES] and wakes that
// word. WAKES is 2 here (32 in the source), so that tickets share wake words as they do
// there after 32 tickets. Process 2 uses timeouts: at most MAXTIMEOUTS (2) of its waits
// time out (a parked timeout, or the deadline found expired), and it abandons its ticket:
// it marks the ticket in one of MARKS slots (then holds the lock after all if it wins the
// race for the mark once serving reached it), or, with no free slot, keeps waiting. The
// waiter's spinWhile only re-reads serving and is left out.
//
// Checks:
//   - mutual exclusion; the holder's ticket is the one being served
//   - FIFO: a ticket is served only when every earlier ticket was released, or skipped by
//     serve as abandoned; a waiter that leaves with E_TIMEOUT has its ticket skipped or
//     marked
//   - no deadlock: an abandoned ticket never blocks the queue, and no waiter stays parked:
//     every process is bounded, so one still parked when the others are done is an
//     invalid end state
//   - witnesses: serve does skip an abandoned ticket; a waiter does win its mark back
//
// run: marks2 cc=-DSAFETY
// run: marks1 spin=-DMARKS=1 cc=-DSAFETY
// run: skip-witness spin=-DWITNESS_SKIP cc=-DSAFETY expect=reach
// run: won-witness spin=-DWITNESS_WON cc=-DSAFETY expect=reach
// mutant: BUG_NO_RECHECK abandon does not re-read serving after marking (always E_TIMEOUT)
// mutant: BUG_SERVE_NO_SKIP serve never looks at the marks
// mutant: BUG_SERVE_WAKE_IF_PARKED_FIRST serve reads the parked counter before storing serving
// mutant: BUG_PARKED_AFTER_LOOK the waiter counts itself parked after its last look at serving
// mutant: BUG_WAKE_SLOT_NOT_BUMPED serve wakes the slot without bumping its counter
// mutant: BUG_WAKE_FIRST_SKIPPED serve wakes the slot of the first ticket it tried, not the one it served
// mutant: BUG_GIVEUP_NO_MARK_CHECK with no free slot, the waiter leaves anyway

#define N 3
#ifndef ITERS
#define ITERS 2
#endif
#ifndef MARKS
#define MARKS 2
#endif
#ifndef MAXTIMEOUTS
#define MAXTIMEOUTS 2
#endif
#define MAXT (N * ITERS)

#ifndef WAKES
#define WAKES 2
#endif
#define A_WAKE(t) (1 + (t) % WAKES)      /* futex address of wakes[t % WAKES] */

#define WAITED 0
#define NOT_EQUAL 1
#define TIMED_OUT 2

#define OK 0
#define E_AGAIN 1
#define E_TIMEOUT 2

byte next = 0, serving = 0, holder = 0, parked = 0;
byte marks[MARKS];                /* ticket + 1, 0 = free slot */
byte wakes[WAKES];
byte waitq[N];
byte timeouts = MAXTIMEOUTS;      /* timed-out waits left, for process TIMER only */
#ifndef TIMER
#define TIMER 2
#endif
#define MAY_TIME_OUT (timeouts > 0 && _pid == TIMER)
byte incs = 0;
bool done[MAXT + 1];              /* ghost: ticket released, or skipped as abandoned */

inline park(A, WORD, EXPECTED) {
  atomic {
    if
    :: (WORD) != (EXPECTED) -> r = NOT_EQUAL
    :: else -> waitq[_pid] = A; r = WAITED
    fi
  }
  if
  :: r == WAITED ->
     if
     :: waitq[_pid] == 0 -> skip
     :: atomic { MAY_TIME_OUT && waitq[_pid] != 0 -> waitq[_pid] = 0; timeouts--; r = TIMED_OUT }
     fi
  :: else -> skip
  fi
}

#define EARLIER_DONE(T) ((T) == 0 || done[0]) && ((T) <= 1 || done[1]) && ((T) <= 2 || done[2]) && ((T) <= 3 || done[3]) && ((T) <= 4 || done[4]) && ((T) <= 5 || done[5])

/* A waiter leaving with E_TIMEOUT: its ticket was skipped already, or its mark is in place
 * for whoever serves it. */
/* (spelled out for MARKS <= 2) */
#define LEFT_OK assert(done[t] || (MARKS >= 1 && marks[0] == t + 1) || (MARKS >= 2 && marks[MARKS - 1] == t + 1))

/* own(obj): holder = me; checks */
inline own() {
  atomic {
    holder = me;
    incs++;
    assert(incs == 1);
    assert(serving == t);
    assert(EARLIER_DONE(t))
  }
}

/* serve(obj, s), s in local s */
inline serve() {
#ifdef BUG_WAKE_FIRST_SKIPPED
  first = s;
#endif
#ifdef BUG_SERVE_WAKE_IF_PARKED_FIRST
  atomic { ok = (parked != 0) };
#endif
  do
  :: serving = s;
#ifndef BUG_SERVE_NO_SKIP
     i = 0;
     do
     :: i == MARKS -> skipped = 0; break
     :: i < MARKS ->
        atomic { if :: marks[i] == s + 1 -> ok = 1 :: else -> ok = 0; i++ fi }   /* load */
        if
        :: ok ->
           atomic {                                                              /* CAS */
             if
             :: marks[i] == s + 1 -> marks[i] = 0; skipped = 1; done[s] = 1;
#ifdef WITNESS_SKIP
                assert(false);
#endif
                break
             :: else -> i++
             fi
           }
        :: else -> skip
        fi
     od;
     i = 0; ok = 0;
     if
     :: skipped -> skipped = 0; s++
     :: else -> break
     fi
#else
     break
#endif
  od;
#ifdef BUG_WAKE_FIRST_SKIPPED
  s = first;
#endif
#ifdef BUG_SERVE_WAKE_IF_PARKED_FIRST
  if
  :: ok ->
#else
  if
  :: parked != 0 ->
#endif
#ifndef BUG_WAKE_SLOT_NOT_BUMPED
     wakes[s % WAKES]++;
#endif
     d_step {
       if :: waitq[0] == A_WAKE(s) -> waitq[0] = 0 :: else -> skip fi;
       if :: waitq[1] == A_WAKE(s) -> waitq[1] = 0 :: else -> skip fi;
       if :: waitq[2] == A_WAKE(s) -> waitq[2] = 0 :: else -> skip fi
     }
  :: else -> skip
  fi;
  s = 0; ok = 0; first = 0
}

/* abandon(obj, t): sets rc */
inline abandon() {
  i = 0;
  do
  :: i == MARKS ->
#ifdef BUG_GIVEUP_NO_MARK_CHECK
     atomic { if :: serving == t -> own(); rc = OK :: else -> rc = E_TIMEOUT; LEFT_OK fi };
#else
     atomic { if :: serving == t -> rc = OK :: else -> rc = E_AGAIN fi };
     if :: rc == OK -> own() :: else -> skip fi;
#endif
     break
  :: i < MARKS ->
     atomic { if :: marks[i] == 0 -> marks[i] = t + 1; ok = 1 :: else -> ok = 0; i++ fi }   /* CAS 0 -> t+1 */
     if
     :: ok ->
#ifdef BUG_NO_RECHECK
        rc = E_TIMEOUT; LEFT_OK;
#else
        atomic {
          if
          :: serving != t -> rc = E_TIMEOUT; LEFT_OK         /* whoever serves t skips it */
          :: else -> rc = E_AGAIN
          fi
        }
        if
        :: rc == E_AGAIN ->                /* serving reached t: race the unlocker for the mark */
           atomic {
             if
             :: marks[i] == t + 1 -> marks[i] = 0; rc = OK
#ifdef WITNESS_WON
                ; assert(false)
#endif
             :: else -> rc = E_TIMEOUT; LEFT_OK                /* the unlocker skipped t */
             fi
           }
           if :: rc == OK -> own() :: else -> skip fi
        :: else -> skip
        fi;
#endif
        break
     :: else -> skip
     fi
  od;
  i = 0; ok = 0
}

active [N] proctype P() {
  byte me = _pid + 1;
  byte t, s, r, rc, i, w, first, iter = 0;
  bool ok, skipped;

  do
  :: iter == ITERS -> break
  :: else ->
     /* ---- ticket_lock(obj, timeout) ---- */
     atomic { t = next; next++ }
     do
     :: atomic { s = serving; if :: s == t -> rc = OK; break :: else -> skip fi }
        s = 0;
#ifndef BUG_PARKED_AFTER_LOOK
        parked++;                        /* before the last look at serving */
#endif
        w = wakes[t % WAKES];
        atomic { if :: serving == t -> r = WAITED; ok = 1 :: else -> ok = 0 fi }
#ifdef BUG_PARKED_AFTER_LOOK
        parked++;
#endif
        if
        :: !ok -> park(A_WAKE(t), wakes[t % WAKES], w)
        :: else -> skip
        fi;
        ok = 0; w = 0;
        parked--;
        s = 0;
        if
        :: r == TIMED_OUT -> skip
        :: atomic { r != TIMED_OUT && MAY_TIME_OUT -> timeouts-- }   /* expired(deadline) */
        :: r != TIMED_OUT -> r = 0; goto again
        fi;
        r = 0;
        abandon();
        if
        :: rc != E_AGAIN -> goto lockdone
        :: else -> skip
        fi;
again:
        skip
     od;
     own();
lockdone:
     if
     :: rc == OK ->
        incs--;
        /* ---- ticket_unlock(obj) ---- */
        holder = 0;
        atomic { done[t] = 1; s = serving + 1 }
        serve()
     :: else -> skip                       /* E_TIMEOUT */
     fi;
     t = 0; rc = 0;
     iter++
  od
}
