// RFC 4180 CSV reading and writing: quoting, doubled quotes, embedded newlines, CRLF, and the
// errors a malformed file must raise (with its line number).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "clustertwin/core/csv.hpp"
#include "clustertwin/core/error.hpp"

using Row = std::vector<std::string>;

TEST(Csv, PlainTable) {
  const ct::CsvTable t = ct::parse_csv("a,b,c\n1,2,3\n4,5,6\n", "plain.csv");
  EXPECT_EQ(t.header, (Row{"a", "b", "c"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (Row{"1", "2", "3"}));
  EXPECT_EQ(t.rows[1], (Row{"4", "5", "6"}));
  EXPECT_EQ(t.row_lines, (std::vector<int>{2, 3}));
  EXPECT_EQ(t.column("b"), 1);
  EXPECT_EQ(t.column("missing"), -1);
}

TEST(Csv, EmptyFieldsAndNoTrailingNewline) {
  const ct::CsvTable t = ct::parse_csv("a,b,c\n,x,\n1,,3", "empty.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (Row{"", "x", ""}));
  EXPECT_EQ(t.rows[1], (Row{"1", "", "3"}));
}

TEST(Csv, QuotedFieldWithComma) {
  const ct::CsvTable t = ct::parse_csv("name,notes\n\"H100, SXM\",\"a, b, c\"\n", "q.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0], (Row{"H100, SXM", "a, b, c"}));
}

TEST(Csv, DoubledQuotes) {
  const ct::CsvTable t = ct::parse_csv("a,b\n\"say \"\"hi\"\"\",\"\"\"\"\n", "dq.csv");
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(t.rows[0][0], "say \"hi\"");
  EXPECT_EQ(t.rows[0][1], "\"");
}

TEST(Csv, EmbeddedNewlineKeepsLineNumbers) {
  // Line 1: header; line 2: row 0; lines 3-5: row 1 (two newlines inside quotes); line 6: row 2.
  const std::string text = "id,text\n"
                           "1,one\n"
                           "2,\"first\nsecond\nthird\"\n"
                           "3,three\n";
  const ct::CsvTable t = ct::parse_csv(text, "nl.csv");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[1][1], "first\nsecond\nthird");
  EXPECT_EQ(t.row_lines, (std::vector<int>{2, 3, 6}));
}

TEST(Csv, CrlfLineEnds) {
  const ct::CsvTable t = ct::parse_csv("a,b\r\n1,2\r\n\"x,y\",3\r\n", "crlf.csv");
  EXPECT_EQ(t.header, (Row{"a", "b"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], (Row{"1", "2"}));  // no stray '\r' on the last field
  EXPECT_EQ(t.rows[1], (Row{"x,y", "3"}));
  EXPECT_EQ(t.row_lines, (std::vector<int>{2, 3}));
}

TEST(Csv, WrongFieldCountThrowsWithLineNumber) {
  const std::string text = "a,b,c\n1,2,3\n4,5\n";  // line 3 has two fields
  try {
    ct::parse_csv(text, "short.csv");
    FAIL() << "expected ct::InputError";
  } catch (const ct::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("short.csv"), std::string::npos) << msg;
  }
}

TEST(Csv, TooManyFieldsThrowsWithLineNumber) {
  const std::string text = "a,b\n1,2\n3,4\n5,6,7\n";  // line 4 has three fields
  try {
    ct::parse_csv(text, "long.csv");
    FAIL() << "expected ct::InputError";
  } catch (const ct::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("line 4"), std::string::npos) << e.what();
  }
}

TEST(Csv, LineNumberAfterEmbeddedNewlineIsRight) {
  // The bad row starts on line 4, after a row that spans lines 2-3.
  const std::string text = "a,b\n\"x\ny\",1\n2\n";
  try {
    ct::parse_csv(text, "after-nl.csv");
    FAIL() << "expected ct::InputError";
  } catch (const ct::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("line 4"), std::string::npos) << e.what();
  }
}

TEST(Csv, UnterminatedQuoteThrows) {
  EXPECT_THROW(ct::parse_csv("a,b\n1,\"never closed\n", "open.csv"), ct::InputError);
  EXPECT_THROW(ct::parse_csv("a,b\n1,\"never closed", "open.csv"), ct::InputError);
}

TEST(Csv, EscapeOnlyWhenNeeded) {
  EXPECT_EQ(ct::csv_escape("plain"), "plain");
  EXPECT_EQ(ct::csv_escape(""), "");
  EXPECT_EQ(ct::csv_escape("a,b"), "\"a,b\"");
  EXPECT_EQ(ct::csv_escape("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(ct::csv_escape("two\nlines"), "\"two\nlines\"");
}

TEST(Csv, CsvLineFormat) {
  EXPECT_EQ(ct::csv_line({"a", "b,c", ""}), "a,\"b,c\",\n");
}

TEST(Csv, WriteThenReadRoundTrips) {
  const Row header = {"plain", "comma", "quote", "newline", "empty", "crlf"};
  const Row r1 = {"x", "1,2,3", "he said \"no\"", "line1\nline2", "", "a\r\nb"};
  const Row r2 = {"y", ",", "\"", "\n", "", "z"};
  const std::string text = ct::csv_line(header) + ct::csv_line(r1) + ct::csv_line(r2);
  const ct::CsvTable t = ct::parse_csv(text, "roundtrip.csv");
  EXPECT_EQ(t.header, header);
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0], r1);
  EXPECT_EQ(t.rows[1], r2);
}
