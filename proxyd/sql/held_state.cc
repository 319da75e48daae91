#include "proxyd/sql/held_state.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "proxyd/sql/lexer.h"

namespace obp::sql {
namespace {

// `lower` is lower-case ASCII. (absl::StrContainsIgnoreCase is newer than ours.)
bool ContainsIgnoreCase(absl::string_view text, absl::string_view lower) {
  return std::search(text.begin(), text.end(), lower.begin(), lower.end(), [](char a, char b) {
           return absl::ascii_tolower(static_cast<unsigned char>(a)) == b;
         }) != text.end();
}

// Whether `text` contains one of the words a held-state statement needs (as part
// of any word; the lexer decides): one pass, as every COM_QUERY comes here.
bool MentionsHeldStateWord(absl::string_view text) {
  static constexpr absl::string_view kWords[] = {"lock",  "temporary", "prepare",
                                                 "flush", "handler",   "backup"};
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = absl::ascii_tolower(static_cast<unsigned char>(text[i]));
    if (c != 'l' && c != 't' && c != 'p' && c != 'f' && c != 'h' && c != 'b') continue;
    for (absl::string_view w : kWords) {
      if (w[0] == c && absl::EqualsIgnoreCase(text.substr(i, w.size()), w)) return true;
    }
  }
  return false;
}

// A statement that takes (`held`) or lets go of `bit`: the last one in the text wins.
void SetHeld(HeldChange* change, uint8_t bit, bool held) {
  if (held) {
    change->adds |= bit;
    change->clears &= static_cast<uint8_t>(~bit);
  } else {
    change->clears |= bit;
    change->adds &= static_cast<uint8_t>(~bit);
  }
}

}  // namespace

HeldChange ScanHeldState(absl::string_view sql) {
  HeldChange change;
  // Every keyword below contains one of these, and a user variable needs an '@':
  // most statements stop here.
  const bool maybe_vars = sql.find('@') != absl::string_view::npos &&
                          (sql.find(":=") != absl::string_view::npos ||
                           ContainsIgnoreCase(sql, "into") || ContainsIgnoreCase(sql, "call"));
  if (!maybe_vars && !MentionsHeldStateWord(sql)) return change;
  Lexer lex(sql);
  Token prev;              // the token before `tok`, or a default token
  Token first;             // the first token of the statement `tok` is in
  bool at_start = true;    // `tok` starts a statement
  bool into_list = false;  // `tok` is in the list after INTO (`INTO @a, @b`)
  for (Token tok = lex.Next(); tok.kind != TokenKind::kEnd && tok.kind != TokenKind::kError;
       prev = tok, tok = lex.Next()) {
    if (at_start) first = tok;
    at_start = tok.IsPunct(';');
    into_list = prev.IsWord("into") || (into_list && (tok.IsPunct(',') || prev.IsPunct(',')));
    if (tok.kind == TokenKind::kVariable && tok.text.size() > 1 && tok.text[1] != '@') {
      // A user variable given a value by this statement, which SET's replay does not
      // cover: `@a := ..` outside SET, `INTO @a`, an argument of CALL (OUT params).
      const Token next = lex.Peek();
      const bool assign = next.kind == TokenKind::kPunct && next.text == ":=";
      if ((assign && !first.IsWord("set")) || into_list || first.IsWord("call")) {
        change.assigned_vars.push_back("@" + UserVariableName(tok.text));
      }
      continue;
    }
    if (tok.kind != TokenKind::kWord) continue;
    if (tok.IsWord("prepare")) {
      // PREPARE s FROM .. at the start of a statement; DEALLOCATE or DROP PREPARE s.
      const bool dealloc = prev.IsWord("deallocate") || prev.IsWord("drop");
      const Token name = lex.Peek();
      if ((dealloc || first.begin == tok.begin) &&
          ((name.kind == TokenKind::kWord && !name.IsWord("from")) ||
           name.kind == TokenKind::kQuotedIdent)) {
        change.prepares.emplace_back(
            absl::AsciiStrToLower(name.kind == TokenKind::kWord ? std::string(name.text)
                                                                : UnquoteIdentifier(name.text)),
            !dealloc);
      }
    } else if (tok.IsWord("temporary")) {
      // CREATE [OR REPLACE] TEMPORARY TABLE / SEQUENCE; not DROP TEMPORARY TABLE.
      if (prev.IsWord("create") || prev.IsWord("replace")) change.adds |= kHeldTempTables;
    } else if (tok.IsWord("get_lock")) {
      if (lex.Peek().IsPunct('(')) SetHeld(&change, kHeldNamedLocks, true);
    } else if (tok.IsWord("release_all_locks")) {
      if (lex.Peek().IsPunct('(')) SetHeld(&change, kHeldNamedLocks, false);
    } else if (first.IsWord("flush") && ((tok.IsWord("lock") && prev.IsWord("read")) ||
                                         (tok.IsWord("export") && prev.IsWord("for")))) {
      // FLUSH TABLES [t, ..] WITH READ LOCK, FLUSH TABLES t FOR EXPORT: held until
      // UNLOCK TABLES, as LOCK TABLES is (a backup's consistency rests on it).
      SetHeld(&change, kHeldTableLocks, true);
    } else if (first.IsWord("handler") && tok.IsWord("open") && first.begin != prev.begin) {
      // HANDLER t OPEN [AS a]: the table stays open for HANDLER .. READ until closed.
      change.adds |= kHeldHandlers;
    } else if (first.IsWord("backup") && prev.begin == first.begin) {
      // BACKUP STAGE START .. END: a backup's stages; BACKUP LOCK t .. BACKUP UNLOCK.
      if (tok.IsWord("stage")) {
        const bool end = lex.Peek().IsWord("end");
        SetHeld(&change, kHeldBackupStage, !end);
      } else if (tok.IsWord("lock") || tok.IsWord("unlock")) {
        SetHeld(&change, kHeldBackupLock, tok.IsWord("lock"));
      }
    } else if (tok.IsWord("lock")) {
      // LOCK TABLE[S] ...; not SELECT ... LOCK IN SHARE MODE or UNLOCK.
      Token next = lex.Peek();
      if ((next.IsWord("tables") || next.IsWord("table")) && !prev.IsWord("unlock")) {
        SetHeld(&change, kHeldTableLocks, true);
      }
    } else if (tok.IsWord("unlock")) {
      Token next = lex.Peek();
      if (next.IsWord("tables") || next.IsWord("table")) SetHeld(&change, kHeldTableLocks, false);
    }
  }
  return change;
}

std::string DescribeHeld(uint8_t held) {
  std::vector<absl::string_view> parts;
  if (held & kHeldTempTables) parts.push_back("temporary tables");
  if (held & kHeldNamedLocks) parts.push_back("named locks (GET_LOCK)");
  if (held & kHeldTableLocks) parts.push_back("table locks (LOCK TABLES or FLUSH TABLES)");
  if (held & kHeldHandlers) parts.push_back("tables opened with HANDLER");
  if (held & kHeldBackupStage) parts.push_back("a backup stage (BACKUP STAGE)");
  if (held & kHeldBackupLock) parts.push_back("a backup lock (BACKUP LOCK)");
  return absl::StrJoin(parts, ", ");
}

}  // namespace obp::sql
