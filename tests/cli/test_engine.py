"""The IOS line discipline: abbreviations, errors and carets, help, completion, modes, pipes."""

from __future__ import annotations

from cucme_lab.shell.commands import command_set
from cucme_lab.shell.session import Session
from cucme_lab.shell.terminal import ScriptTerminal


async def test_abbreviations_and_aliases(shell):
    out = await shell.type("sh ver | i IOS", "conf t", "ho CME1", "int vl 10",
                           "ip add 10.0.0.1 255.255.255.0", "end", "sh run int vlan10")
    assert "Cisco IOS Software, 2800 Software" in out
    assert "CME1(config-if)#" in out
    assert "interface Vlan10\n ip address 10.0.0.1 255.255.255.0\n" in out


async def test_invalid_input_caret_counts_the_prompt(shell):
    out = await shell.type("show runn-confg", "show clock zone", "conf t", "hostnmae R1")
    lines = out.splitlines()
    # under the first character no keyword has there: `runn-` vs `running-config`
    assert lines[1:4] == [" " * len("Router#show runn") + "^",
                          "% Invalid input detected at '^' marker.", ""]
    assert lines[5] == " " * len("Router#show clock ") + "^"
    assert " " * len("Router(config)#hostn") + "^" in lines


async def test_incomplete_and_ambiguous(shell):
    out = await shell.type("conf t", "hostname", "a")
    assert "Router(config)#hostname\n% Incomplete command.\n\n" in out
    assert 'Router(config)#a\n% Ambiguous command:  "a"\nRouter(config)#' in out


async def test_unknown_first_word_in_exec_is_a_host_name(shell):
    out = await shell.type("foo")
    assert ('Router#foo\nTranslating "foo"...domain server (255.255.255.255)\n'
            "% Unknown command or computer name, or unable to find computer address\n") in out
    out = await shell.type("conf t", "no ip domain-lookup", "end", "bar")
    assert 'Translating "bar"\n% Unknown command' in out


async def test_user_exec_hides_privileged_commands(shell):
    out = await shell.type("show running-config", "configure terminal", priv=1)
    lines = out.splitlines()
    assert lines[0] == "Router>show running-config"
    assert lines[1] == " " * len("Router>show ") + "^"
    assert "Router>configure terminal\n" + " " * len("Router>configure ") + "^" in out


async def test_question_mark_listing_and_word_completion(shell):
    out = await shell.type("show ?", "")
    assert "  running-config" in out and "  version" in out
    # the buffer kept `show `; a bare show is IOS's hint, no blank line after it
    assert '\n\nRouter#show \n% Type "show ?" for a list of subcommands\nRouter#' in out
    out = await shell.type("sh?", "")
    # the ? shows on screen but does not stay in the buffer
    assert "Router#sh?\nshow  \n\nRouter#sh\n" in out


async def test_config_help_has_header_and_cr(shell):
    out = await shell.type("conf t", "?", "", "hostname ?", "", "cdp run ?", "")
    assert "Configure commands:\n" in out
    assert "  WORD" in out
    assert "  <cr>" in out


async def test_tab_completion(router):
    session = Session(router, ScriptTerminal([]), command_set(), priv=15)
    assert session.complete("sh") == "show "
    assert session.complete("show runn") == "show running-config "
    assert session.complete("c") == "c"  # clock, configure, copy: ambiguous, nothing to add
    session.enter_config()
    assert session.complete("hostn") == "hostname "


async def test_do_from_config_mode_and_caret_offset(shell):
    out = await shell.type("conf t", "do show clock", "do show foo")
    assert "Router(config)#do show clock\n*" in out
    assert "Router(config)#do show foo\n" + " " * len("Router(config)#do show f") + "^" in out


async def test_sub_mode_falls_through_to_global(shell):
    out = await shell.type("conf t", "line vty 0 4", "access-list 10 permit 10.1.1.0 0.0.0.255",
                           "hostname R2")
    assert "Router(config-line)#access-list 10 permit 10.1.1.0 0.0.0.255\nRouter(config)#" in out
    assert shell.router.hostname == "R2"


async def test_exit_end_and_ctrl_z(shell):
    out = await shell.type("conf t", "line vty 0 4", "exit", "line con 0", "end",
                           "conf t", "\x1a")
    assert "Router(config-line)#exit\nRouter(config)#line con 0" in out
    assert "Router(config-line)#end\n" in out
    assert out.count("%SYS-5-CONFIG_I: Configured from console by console") == 2


async def test_comments_and_blank_lines_are_ignored(shell):
    out = await shell.type("conf t", "! a comment", "", "  ! indented comment")
    assert "Invalid" not in out


async def test_no_and_default_forms(shell):
    await shell.type("conf t", "ip http server", "ntp server 1.1.1.1", "ntp server 2.2.2.2",
                     "no ntp server 1.1.1.1")
    text = shell.router.running_config()
    assert "ip http server\n" in text and "ntp server 2.2.2.2" in text
    assert "ntp server 1.1.1.1" not in text
    await shell.type("conf t", "no ip http server", "default ntp server 2.2.2.2")
    text = shell.router.running_config()
    assert "no ip http server\n" in text and "ntp server" not in text


async def test_typed_arguments_are_validated(shell):
    out = await shell.type("conf t", "interface vlan 10", "ip address 10.0.0.300 255.0.0.0",
                           "ip address 10.0.0.1 255.0.255.0", "exit", "line vty 0 1870")
    assert out.count("% Invalid input detected") == 3


async def test_pipes(shell):
    await shell.type("conf t", "ntp server 1.1.1.1", "ntp server 2.2.2.2", "line vty 0 4",
                     "login local")
    out = await shell.type("show running-config | include ntp")
    assert out.splitlines()[1:3] == ["ntp server 1.1.1.1", "ntp server 2.2.2.2"]
    out = await shell.type("show running-config | count ntp")
    assert "Number of lines which match regexp = 2" in out
    out = await shell.type("show run | s line vty")
    assert out.splitlines()[1:3] == ["line vty 0 4", " login local"]
    out = await shell.type("show run | b line con")
    assert out.splitlines()[1] == "line con 0"
    out = await shell.type("show run | e e")
    assert "hostname" not in out
    out = await shell.type("conf t", "hostname x | include y")
    assert "% Invalid input detected" in out


class PagingTerminal(ScriptTerminal):
    interactive = True


async def test_more_paging_and_terminal_length(router):
    terminal = PagingTerminal(["show running-config", " ", "q", "terminal length 0",
                               "show running-config"])
    session = Session(router, terminal, command_set(), priv=15)
    session.term_length = 10
    await session.run()
    out = terminal.output()
    assert out.count(" --More-- ") == 2
    assert "\b" * 9 + " " * 9 + "\b" * 9 in out
    assert out.rstrip().endswith("end\nRouter#")


async def test_enable_password_tries_and_bad_secrets(shell):
    await shell.type("conf t", "enable secret s3cret", "enable password other")
    out = await shell.type("enable", "wrong", "other", "nope", priv=1)
    assert out.count("Password: ") == 3
    assert "% Bad secrets" in out
    out = await shell.type("enable", "s3cret", "show privilege", priv=1)
    assert "Current privilege level is 15" in out


async def test_terminal_commands_work_in_user_exec(shell):
    out = await shell.type("terminal width 511", "terminal length 0", priv=1)
    assert out == "Router>terminal width 511\nRouter>terminal length 0\nRouter>"


async def test_exit_in_exec_ends_the_session(shell):
    out = await shell.type("exit", "show version")
    assert out == "Router#exit\n"


async def test_nothing_typed_produces_a_traceback(shell):
    junk = ["\x00\x01", "show " + "x" * 5000, "conf t", "int", "interface fa9/9/9",
            "ip address", "enable secret 5 notahash", "username", "access-list 10 permit any any",
            "???", "do do do", "line vty 5 1", "logging console | buffered", "exit", "exit",
            "exit"]
    out = await shell.type(*junk)
    assert "Traceback" not in out
    assert "ERROR: The secret you entered is not a valid encrypted secret." in out


async def test_line_range_spanning_blocks_configures_all_of_them(shell):
    await shell.type("conf t", "line vty 0 15", "login local", "transport input ssh")
    text = shell.router.running_config()
    assert "line vty 0 4\n login local\n transport input ssh\nline vty 5 15\n login local\n" \
           " transport input ssh\n" in text


async def test_an_abbreviation_is_resolved_in_the_current_mode_first(shell):
    out = await shell.type("conf t", "crypto pki trustpoint X", "exi", "crypto pki trustpoint X",
                           "ex", "hostname R2", "ephone 1", "ephone 2", "exi", "end")
    assert "Router(ca-trustpoint)#exi\nRouter(config)#crypto" in out
    assert "Router(ca-trustpoint)#ex\nRouter(config)#hostname R2" in out
    assert "R2(config-ephone)#ephone 2\nR2(config-ephone)#exi\nR2(config)#end\n" in out
    assert out.count("CONFIG_I") == 1


async def test_prefixes_are_judged_against_ios_exec_words_and_its_default_aliases(shell):
    out = await shell.type("r", "l", "e", "w", "s?", "", "conf t", "do l", "do r", "end", "lo?")
    assert "Router#r\n% No open connections\nRouter#l\n" in out  # r is resume's alias
    assert 'Router#l\n% Ambiguous command:  "l"\nRouter#e\n% Ambiguous command:  "e"\n' in out
    assert "Router#w\n% No connections open\n" in out
    assert "Router#lo?\n*lo=logout  logout  \n\n" in out  # an alias first, as IOS lists it
    assert "Router#s?\n*s=show  show  \n\n" in out
    assert 'Router(config)#do l\n% Ambiguous command:  "do l"\n' in out
    assert "Router(config)#do r\n% No open connections\n" in out


async def test_bare_show_prints_the_ios_hint(shell):
    out = await shell.type("s", "sh", "conf t", "do sh")
    hint = '% Type "show ?" for a list of subcommands\n'
    assert out.count(hint) == 3 and "Incomplete" not in out


async def test_question_mark_after_do_lists_exec_commands(shell):
    out = await shell.type("conf t", "do ?", "", "do show cl?", "")
    listing = out.split("Router(config)#do ?\n", 1)[1]
    assert listing.startswith("  clear ") and "  show " in listing and "  write " in listing
    assert "Router(config)#do show cl?\nclock  \n" in out


async def test_tab_completes_a_first_word_unique_among_ios_words(router):
    session = Session(router, ScriptTerminal([]), command_set(), priv=15)
    assert session.complete("lo") == "lo"  # login, logout
    assert session.complete("logo") == "logout "
    assert session.complete("wr") == "write "
