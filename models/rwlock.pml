// mirrors assembly/rwlock.ts: readTry, readStep, readUnlock, writeTry, writeStep,
// writeUnlock, wakeWriter, wakeWriterOrReaders, giveUp, timedOut, lockBlocking
//
// The state word is scaled down: bits 0..2 readers (7 = MASK = write-locked, 6 = max
// readers), 8 READERS_WAITING, 16 WRITERS_WAITING; writer_notify is a small counter (it
// only grows by one per wakeWriter, and the runs are bounded). Default: processes 0 and 1
// read, process 2 writes; -DTWO_WRITERS: process 0 reads, 1 and 2 write. Readers lock and
// unlock RITERS times, writers WITERS times (one role twice, the other once: both twice
// is tens of millions of states). At most MAXTIMEOUTS waits time out (a parked timeout,
// or the deadline found expired), which runs timedOut: a last try, then giveUp. Each
// atomic op is one step (with the local decisions after it); the spinWhile + try before
// the loop only re-reads and is left out.
//
// Checks:
//   - a writer excludes everyone, readers exclude writers
//   - writer preference: a reader never gets in while WRITERS_WAITING is set
//   - no deadlock / lost wake-up: every process is bounded, so a reader or writer still
//     parked when the others are done is an invalid end state (also after timeouts left
//     waiting bits behind)
//   - witness: a reader finds the lock read-locked and still parks because a writer waits
//     (a waiting writer holds new readers back)
//
// Former bug, covered by every run (a woken waiter may find its deadline expired):
//   woken writer expires: fixed in timedOut(), a writer's last try keeps WRITERS_WAITING,
//   and when it fails the writer runs wakeWriter (passes on the wake-up it may have taken).
//
// Note: giveUp is not needed within these bounds: dropping it (-DBUG_GIVEUP_NOTHING)
// finds no error, also with MAXTIMEOUTS=2..3; each unlock clears the waiting bits it
// finds, and a writer that may have taken the writers' wake-up passes one on in timedOut.
//
// run: 2r1w-readers-twice spin=-DRITERS=2 spin=-DWITERS=1 cc=-DSAFETY
// run: 2r1w-writer-twice spin=-DRITERS=1 spin=-DWITERS=2 cc=-DSAFETY
// run: 1r2w-reader-twice spin=-DTWO_WRITERS spin=-DRITERS=2 spin=-DWITERS=1 cc=-DSAFETY
// run: 1r2w-writers-twice spin=-DTWO_WRITERS spin=-DRITERS=1 spin=-DWITERS=2 cc=-DSAFETY
// run: woken-writer-expires spin=-DTWO_WRITERS spin=-DRITERS=1 spin=-DWITERS=1 cc=-DSAFETY
// run: holdback-witness spin=-DWITNESS_HOLDBACK spin=-DRITERS=1 spin=-DWITERS=1 cc=-DSAFETY expect=reach
// mutant: BUG_WRITER_DROPS_OTHERS a woken writer locks without keeping WRITERS_WAITING
// mutant: BUG_SEQ_AFTER_CHECK writeStep reads writer_notify after re-checking the state
// mutant: BUG_READ_UNLOCK_NO_WAKE the last reader out does not wake a waiting writer
// mutant: BUG_READERS_IGNORE_WRITERS readers may lock while a writer waits
// mutant: BUG_BOTH_WAITING_WAKES_READERS with both bits set, an unlock clears both and wakes only the readers
// mutant: BUG_TIMEOUT_NO_PASS_WAKE timedOut as before the fix: a writer's last try drops WRITERS_WAITING, no wakeWriter
// mutant: BUG_TIMEOUT_DROPS_WAITING a writer's last try locks without WRITERS_WAITING (still passes the wake on)
// mutant: BUG_TIMEOUT_KEEPS_WAKE a writer's last try keeps WRITERS_WAITING, but a failed one passes no wake on

#define N 3
#ifndef RITERS
#define RITERS 1                  /* lock/unlock rounds of a reader */
#endif
#ifndef WITERS
#define WITERS 1                  /* of a writer */
#endif
#ifndef MAXTIMEOUTS
#define MAXTIMEOUTS 1
#endif

#ifdef TWO_WRITERS
#define IS_WRITER (_pid != 0)
#else
#define IS_WRITER (_pid == 2)
#endif

#define A_STATE 1
#define A_NOTIFY 2

#define MASK 7
#define WRITE_LOCKED 7
#define MAX_READERS 6
#define READERS_WAITING 8
#define WRITERS_WAITING 16

#define UNLOCKED(s) (((s) & MASK) == 0)
#define WRITE_LOCKED_(s) (((s) & MASK) == WRITE_LOCKED)
#ifdef BUG_READERS_IGNORE_WRITERS
#define READ_LOCKABLE(s) (((s) & MASK) < MAX_READERS && ((s) & READERS_WAITING) == 0)
#else
#define READ_LOCKABLE(s) (((s) & MASK) < MAX_READERS && ((s) & (READERS_WAITING | WRITERS_WAITING)) == 0)
#endif

#define WAITED 0
#define NOT_EQUAL 1
#define TIMED_OUT 2

#define OK 0
#define E_AGAIN 1
#define E_TIMEOUT 2

byte state = 0;
byte wnotify = 0;
byte waitq[N];
byte timeouts = MAXTIMEOUTS;
byte readers = 0, writers = 0;    /* ghosts: holders */

#define EXCLUSION assert((writers == 0) || (writers == 1 && readers == 0))

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
     :: atomic { timeouts > 0 && waitq[_pid] != 0 -> waitq[_pid] = 0; timeouts--; r = TIMED_OUT }
     fi
  :: else -> skip
  fi
}

/* wakeWriter: writer_notify++, notify(writer_notify, 1); woke = a writer was woken */
inline wakeWriter() {
  wnotify++;
  atomic {
    if
    :: waitq[0] == A_NOTIFY -> waitq[0] = 0; woke = 1
    :: waitq[1] == A_NOTIFY -> waitq[1] = 0; woke = 1
    :: waitq[2] == A_NOTIFY -> waitq[2] = 0; woke = 1
    :: else -> woke = 0
    fi
  }
}

inline wakeAllReaders() {
  d_step {
    if :: waitq[0] == A_STATE -> waitq[0] = 0 :: else -> skip fi;
    if :: waitq[1] == A_STATE -> waitq[1] = 0 :: else -> skip fi;
    if :: waitq[2] == A_STATE -> waitq[2] = 0 :: else -> skip fi
  }
}

/* wakeWriterOrReaders(obj, s), s in local s. The one-round do loop lets `break` return. */
inline wakeWriterOrReaders() {
  do
  :: !UNLOCKED(s) -> break
  :: else ->
     if
     :: s == WRITERS_WAITING ->
        atomic {
          if
          :: state == s -> state = 0; ok = 1
          :: else -> s = state; ok = 0       /* the CAS returned what it saw */
          fi
        }
        if :: ok -> wakeWriter(); break :: else -> skip fi
     :: else -> skip
     fi;
     if
     :: s == (READERS_WAITING | WRITERS_WAITING) ->
#ifdef BUG_BOTH_WAITING_WAKES_READERS
        atomic { if :: state == s -> state = 0; ok = 1 :: else -> ok = 0 fi }
        if :: ok -> wakeAllReaders() :: else -> skip fi;
        break;
#endif
        atomic { if :: state == s -> state = READERS_WAITING; ok = 1 :: else -> ok = 0 fi }
        if :: !ok -> break :: else -> skip fi;     /* locked meanwhile */
        wakeWriter();
        if :: woke -> break :: else -> skip fi;
        s = READERS_WAITING                        /* no writer was parked: the readers go */
     :: else -> skip
     fi;
     if
     :: s == READERS_WAITING ->
        atomic { if :: state == s -> state = 0; ok = 1 :: else -> ok = 0 fi }
        if :: ok -> wakeAllReaders() :: else -> skip fi
     :: else -> skip
     fi;
     break
  od;
  ok = 0; woke = 0
}

/* giveUp(obj) */
inline giveUp() {
#ifndef BUG_GIVEUP_NOTHING   /* see the note in the header */
  s = state;
  if
  :: UNLOCKED(s) && (s & (READERS_WAITING | WRITERS_WAITING)) != 0 -> wakeWriterOrReaders()
  :: else -> skip
  fi
#else
  skip
#endif
}

#define CLASSIFY_READ(s) (READ_LOCKABLE(s) -> 1 : (((s) & READERS_WAITING) == 0 -> 2 : 3))

active [N] proctype P() {
  bool write = IS_WRITER;
  bit got, waited, ok, woke, timedout;
  byte s, wv, r, step, iter = 0;

next:
  if :: iter == (write -> WITERS : RITERS) -> goto done :: else -> skip fi;

  /* ---- lockBlocking(obj, write, deadline): readTry / writeTry; after a timeout the same
   * loops are timedOut's last try (a writer's keeps WRITERS_WAITING) ---- */
  s = state;
try:
  atomic {
    if
    :: (write && UNLOCKED(s)) || (!write && READ_LOCKABLE(s)) ->
       if
       :: state == s ->
          if
#if defined(BUG_TIMEOUT_NO_PASS_WAKE) || defined(BUG_TIMEOUT_DROPS_WAITING)
          :: write -> state = s + WRITE_LOCKED; writers++
#else
          :: write && !timedout -> state = s + WRITE_LOCKED; writers++
          :: write && timedout -> state = s | WRITE_LOCKED | WRITERS_WAITING; writers++
#endif
          :: else -> assert((s & WRITERS_WAITING) == 0); state = s + 1; readers++
          fi;
          EXCLUSION; got = 1; goto tried
       :: else -> s = state; goto try       /* the CAS failed: it returned the current value */
       fi
    :: else -> got = 0; goto tried
    fi
  }
tried:
  if
  :: got -> goto locked
  :: !got && timedout -> goto gaveup         /* the try after a timeout failed */
  :: else -> skip
  fi;
  if :: write -> goto wstep :: else -> goto rstep fi;

  /* ---- readStep(obj) ---- */
rstep:
  atomic {
    s = state;
    step = CLASSIFY_READ(s);
    if :: step == 3 -> wv = s | READERS_WAITING; goto parking :: else -> skip fi
  }
  atomic {
    if
    :: state == s && step == 1 -> assert((s & WRITERS_WAITING) == 0); state = s + 1; readers++; EXCLUSION; got = 1; goto locked
    :: state == s && step == 2 -> state = s | READERS_WAITING; wv = s | READERS_WAITING;
#ifdef WITNESS_HOLDBACK
       assert(!((s & MASK) != 0 && !WRITE_LOCKED_(s) && (s & WRITERS_WAITING) != 0));
#endif
       goto parking
    :: else -> goto rstep
    fi
  }

  /* ---- writeStep(obj, waited) ---- */
wstep:
  atomic {
    s = state;
    if
    :: UNLOCKED(s) -> step = 1
    :: !UNLOCKED(s) && (s & WRITERS_WAITING) == 0 -> step = 2
    :: else -> goto wseq
    fi
  }
  atomic {
    if
#ifdef BUG_WRITER_DROPS_OTHERS
    :: state == s && step == 1 -> state = s | WRITE_LOCKED; writers++; EXCLUSION; got = 1; goto locked
#else
    :: state == s && step == 1 -> state = s | WRITE_LOCKED | (waited -> WRITERS_WAITING : 0); writers++; EXCLUSION; got = 1; goto locked
#endif
    :: state == s && step == 2 -> state = s | WRITERS_WAITING
    :: else -> goto wstep
    fi
  }
wseq:
#ifdef BUG_SEQ_AFTER_CHECK
  s = state;
  wv = wnotify;
  if :: UNLOCKED(s) || (s & WRITERS_WAITING) == 0 -> goto wstep :: else -> goto parking fi;
#else
  wv = wnotify;                            /* read the counter before re-checking the state */
  atomic {
    s = state;
    if :: UNLOCKED(s) || (s & WRITERS_WAITING) == 0 -> goto wstep :: else -> goto parking fi
  }
#endif

  /* ---- lockBlocking: park on writer_notify / state ---- */
parking:
  step = 0; s = 0;
  if
  :: write -> park(A_NOTIFY, wnotify, wv)
  :: else -> park(A_STATE, state, wv)
  fi;
  wv = 0;
  if
  :: r == TIMED_OUT -> skip
  :: atomic { r != TIMED_OUT && timeouts > 0 -> timeouts-- }   /* expired(deadline) */
  :: r != TIMED_OUT -> r = 0; waited = 1; if :: write -> goto wstep :: else -> goto rstep fi
  fi;
  /* ---- timedOut(obj, write) ---- */
  r = 0; timedout = 1;
  s = state;
  goto try;                                /* the last try */
gaveup:
#if !defined(BUG_TIMEOUT_NO_PASS_WAKE) && !defined(BUG_TIMEOUT_KEEPS_WAKE)
  if :: write -> wakeWriter(); woke = 0 :: else -> skip fi;   /* pass the writers' wake-up on */
#endif
  giveUp();

locked:
  waited = 0; timedout = 0; s = 0; step = 0;
  if
  :: got ->
     got = 0;
     if
     :: write ->
        /* ---- writeUnlock ---- */
        atomic { writers--; state = state - WRITE_LOCKED; s = state }
        if
        :: (s & (READERS_WAITING | WRITERS_WAITING)) != 0 -> wakeWriterOrReaders()
        :: else -> skip
        fi
     :: else ->
        /* ---- readUnlock ---- */
        atomic { readers--; state = state - 1; s = state }
#ifndef BUG_READ_UNLOCK_NO_WAKE
        if
        :: UNLOCKED(s) && (s & WRITERS_WAITING) != 0 -> wakeWriterOrReaders()
        :: else -> skip
        fi
#endif
     fi
  :: else -> skip                          /* E_TIMEOUT */
  fi;
  s = 0;
  iter++;
  goto next;
done:
  skip
}
