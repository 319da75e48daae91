// MySQL/MariaDB wire-protocol constants: capability and status flags, command bytes,
// column types and character-set ids. Plain constexpr values; safe from any thread.
#pragma once

#include <cstdint>

namespace obp::mysql {

// Largest payload one packet can carry; a payload of exactly this size is continued
// by the next packet (possibly an empty one).
inline constexpr uint32_t kMaxPacketPayload = 0xFFFFFF;
inline constexpr size_t kHeaderSize = 4;

// Capability flags (lower 32 bits, sent in greeting and login packet).
inline constexpr uint32_t kClientLongPassword = 1;
// MariaDB reuses bit 0: set means "plain MySQL client/server"; clear means the 4
// MariaDB extended-capability bytes in the reserved area are valid.
inline constexpr uint32_t kClientMysql = 1;
inline constexpr uint32_t kClientFoundRows = 1u << 1;
inline constexpr uint32_t kClientLongFlag = 1u << 2;
inline constexpr uint32_t kClientConnectWithDb = 1u << 3;
inline constexpr uint32_t kClientNoSchema = 1u << 4;
inline constexpr uint32_t kClientCompress = 1u << 5;
inline constexpr uint32_t kClientOdbc = 1u << 6;
inline constexpr uint32_t kClientLocalFiles = 1u << 7;
inline constexpr uint32_t kClientIgnoreSpace = 1u << 8;
inline constexpr uint32_t kClientProtocol41 = 1u << 9;
inline constexpr uint32_t kClientInteractive = 1u << 10;
inline constexpr uint32_t kClientSsl = 1u << 11;
inline constexpr uint32_t kClientIgnoreSigpipe = 1u << 12;
inline constexpr uint32_t kClientTransactions = 1u << 13;
inline constexpr uint32_t kClientReserved = 1u << 14;
inline constexpr uint32_t kClientSecureConnection = 1u << 15;
inline constexpr uint32_t kClientMultiStatements = 1u << 16;
inline constexpr uint32_t kClientMultiResults = 1u << 17;
inline constexpr uint32_t kClientPsMultiResults = 1u << 18;
inline constexpr uint32_t kClientPluginAuth = 1u << 19;
inline constexpr uint32_t kClientConnectAttrs = 1u << 20;
inline constexpr uint32_t kClientPluginAuthLenencData = 1u << 21;
inline constexpr uint32_t kClientCanHandleExpiredPasswords = 1u << 22;
inline constexpr uint32_t kClientSessionTrack = 1u << 23;
inline constexpr uint32_t kClientDeprecateEof = 1u << 24;
inline constexpr uint32_t kClientOptionalResultsetMetadata = 1u << 25;
inline constexpr uint32_t kClientZstdCompression = 1u << 26;
inline constexpr uint32_t kClientQueryAttributes = 1u << 27;
inline constexpr uint32_t kClientCapabilityExtension = 1u << 29;
inline constexpr uint32_t kClientSslVerifyServerCert = 1u << 30;
inline constexpr uint32_t kClientRememberOptions = 1u << 31;

// MariaDB extended capabilities (the upper 32 bits of MariaDB's 64-bit flags).
inline constexpr uint32_t kMariaDbClientProgress = 1u << 0;
inline constexpr uint32_t kMariaDbClientComMulti = 1u << 1;
inline constexpr uint32_t kMariaDbClientStmtBulkOperations = 1u << 2;
inline constexpr uint32_t kMariaDbClientExtendedMetadata = 1u << 3;
inline constexpr uint32_t kMariaDbClientCacheMetadata = 1u << 4;
inline constexpr uint32_t kMariaDbClientBulkUnitResults = 1u << 5;

// Server status flags (OK and EOF packets).
inline constexpr uint16_t kServerStatusInTrans = 1;
inline constexpr uint16_t kServerStatusAutocommit = 2;
inline constexpr uint16_t kServerMoreResultsExists = 8;
inline constexpr uint16_t kServerQueryNoGoodIndexUsed = 0x10;
inline constexpr uint16_t kServerQueryNoIndexUsed = 0x20;
inline constexpr uint16_t kServerStatusCursorExists = 0x40;
inline constexpr uint16_t kServerStatusLastRowSent = 0x80;
inline constexpr uint16_t kServerStatusDbDropped = 0x100;
inline constexpr uint16_t kServerStatusNoBackslashEscapes = 0x200;
inline constexpr uint16_t kServerStatusMetadataChanged = 0x400;
inline constexpr uint16_t kServerQueryWasSlow = 0x800;
inline constexpr uint16_t kServerPsOutParams = 0x1000;
inline constexpr uint16_t kServerStatusInTransReadonly = 0x2000;
inline constexpr uint16_t kServerSessionStateChanged = 0x4000;

// First payload byte of the generic response packets.
inline constexpr uint8_t kOkHeader = 0x00;
inline constexpr uint8_t kEofHeader = 0xFE;
inline constexpr uint8_t kErrHeader = 0xFF;
inline constexpr uint8_t kLocalInfileHeader = 0xFB;
inline constexpr uint8_t kNullValue = 0xFB;  // NULL in a text row

enum class Command : uint8_t {
  kSleep = 0x00,
  kQuit = 0x01,
  kInitDb = 0x02,
  kQuery = 0x03,
  kFieldList = 0x04,
  kCreateDb = 0x05,
  kDropDb = 0x06,
  kRefresh = 0x07,
  kShutdown = 0x08,
  kStatistics = 0x09,
  kProcessInfo = 0x0a,
  kConnect = 0x0b,
  kProcessKill = 0x0c,
  kDebug = 0x0d,
  kPing = 0x0e,
  kTime = 0x0f,
  kDelayedInsert = 0x10,
  kChangeUser = 0x11,
  kBinlogDump = 0x12,
  kTableDump = 0x13,
  kConnectOut = 0x14,
  kRegisterSlave = 0x15,
  kStmtPrepare = 0x16,
  kStmtExecute = 0x17,
  kStmtSendLongData = 0x18,
  kStmtClose = 0x19,
  kStmtReset = 0x1a,
  kSetOption = 0x1b,
  kStmtFetch = 0x1c,
  kDaemon = 0x1d,
  kBinlogDumpGtid = 0x1e,
  kResetConnection = 0x1f,
  kStmtBulkExecute = 0xfa,  // MariaDB
  kMulti = 0xfe,            // MariaDB COM_MULTI
};

// COM_STMT_EXECUTE flags.
inline constexpr uint8_t kCursorTypeNoCursor = 0;
inline constexpr uint8_t kCursorTypeReadOnly = 1;
inline constexpr uint8_t kCursorTypeForUpdate = 2;
inline constexpr uint8_t kCursorTypeScrollable = 4;

// COM_SET_OPTION values.
inline constexpr uint16_t kMultiStatementsOn = 0;
inline constexpr uint16_t kMultiStatementsOff = 1;

// Column types.
inline constexpr uint8_t kTypeDecimal = 0;
inline constexpr uint8_t kTypeTiny = 1;
inline constexpr uint8_t kTypeShort = 2;
inline constexpr uint8_t kTypeLong = 3;
inline constexpr uint8_t kTypeFloat = 4;
inline constexpr uint8_t kTypeDouble = 5;
inline constexpr uint8_t kTypeNull = 6;
inline constexpr uint8_t kTypeTimestamp = 7;
inline constexpr uint8_t kTypeLongLong = 8;
inline constexpr uint8_t kTypeInt24 = 9;
inline constexpr uint8_t kTypeDate = 10;
inline constexpr uint8_t kTypeTime = 11;
inline constexpr uint8_t kTypeDateTime = 12;
inline constexpr uint8_t kTypeYear = 13;
inline constexpr uint8_t kTypeNewDate = 14;
inline constexpr uint8_t kTypeVarChar = 15;
inline constexpr uint8_t kTypeBit = 16;
inline constexpr uint8_t kTypeTimestamp2 = 17;
inline constexpr uint8_t kTypeDateTime2 = 18;
inline constexpr uint8_t kTypeTime2 = 19;
inline constexpr uint8_t kTypeJson = 245;
inline constexpr uint8_t kTypeNewDecimal = 246;
inline constexpr uint8_t kTypeEnum = 247;
inline constexpr uint8_t kTypeSet = 248;
inline constexpr uint8_t kTypeTinyBlob = 249;
inline constexpr uint8_t kTypeMediumBlob = 250;
inline constexpr uint8_t kTypeLongBlob = 251;
inline constexpr uint8_t kTypeBlob = 252;
inline constexpr uint8_t kTypeVarString = 253;
inline constexpr uint8_t kTypeString = 254;
inline constexpr uint8_t kTypeGeometry = 255;

// Column definition flags.
inline constexpr uint16_t kFlagNotNull = 1;
inline constexpr uint16_t kFlagPriKey = 2;
inline constexpr uint16_t kFlagUniqueKey = 4;
inline constexpr uint16_t kFlagMultipleKey = 8;
inline constexpr uint16_t kFlagBlob = 16;
inline constexpr uint16_t kFlagUnsigned = 32;
inline constexpr uint16_t kFlagZerofill = 64;
inline constexpr uint16_t kFlagBinary = 128;
inline constexpr uint16_t kFlagEnum = 256;
inline constexpr uint16_t kFlagAutoIncrement = 512;
inline constexpr uint16_t kFlagTimestamp = 1024;
inline constexpr uint16_t kFlagSet = 2048;
inline constexpr uint16_t kFlagNum = 32768;

// Character-set / collation ids.
inline constexpr uint8_t kCharsetLatin1SwedishCi = 8;
inline constexpr uint8_t kCharsetUtf8GeneralCi = 33;
inline constexpr uint8_t kCharsetUtf8mb4GeneralCi = 45;
inline constexpr uint8_t kCharsetBinary = 63;

inline constexpr char kNativePasswordPlugin[] = "mysql_native_password";
inline constexpr size_t kScrambleLength = 20;

}  // namespace obp::mysql
