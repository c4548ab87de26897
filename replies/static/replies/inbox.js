/* Keyboard shortcuts for the reply inbox (replies.admin). Progressive enhancement: every
   shortcut stands for a link or a form button on the page, which works without it.

   The list:  j / k  move to the next / previous reply   o or Enter  read it
   The pane:  j / k  next / previous reply               a  approve the draft answer (send)
              e  edit the draft                          c  confirm the suggested reading
              m  mark a meeting                          d  done (dealt with elsewhere)
              u  back to the list
   Both:      ?  show or hide the shortcuts              Esc  close a form, leave a text field
*/
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function follow(id) {
    var link = byId(id);
    if (link && link.href) {
      window.location.assign(link.href);
      return true;
    }
    return false;
  }

  function submit(id) {
    var form = byId(id);
    if (!form) return false;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
    return true;
  }

  function openAndFocus(detailsId, selector) {
    var details = byId(detailsId);
    if (!details) return false;
    details.open = true;
    var field = details.querySelector(selector);
    if (field) field.focus();
    return true;
  }

  function closeAll() {
    document.querySelectorAll("details[open]").forEach(function (details) {
      if (details.id !== "raw-form") details.open = false;
    });
  }

  // --- the list: a current row that j/k move and o/Enter open ---------------------------------
  var rows = [];
  var current = -1;

  function select(index) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0) rows[current].classList.remove("inbox-current");
    current = index;
    rows[current].classList.add("inbox-current");
    rows[current].scrollIntoView({ block: "nearest" });
  }

  function openCurrent() {
    if (current < 0) return false;
    var link = rows[current].querySelector("th a, td a");
    if (link) {
      window.location.assign(link.href);
      return true;
    }
    return false;
  }

  var pane = {
    j: function () { return follow("inbox-next"); },
    k: function () { return follow("inbox-prev"); },
    u: function () { return follow("inbox-back"); },
    a: function () { return submit("approve-form"); },
    c: function () { return submit("confirm-form"); },
    d: function () { return submit("handled-form"); },
    e: function () { return openAndFocus("draft-edit", "textarea"); },
    m: function () { return openAndFocus("meeting-action", "input"); },
  };

  var list = {
    j: function () { select(current + 1); return true; },
    k: function () { select(current - 1); return true; },
    o: openCurrent,
    Enter: openCurrent,
  };

  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      closeAll();
      if (typing(event.target)) event.target.blur();
      return;
    }
    if (typing(event.target)) return;
    if (event.key === "?") {
      var help = byId("inbox-help");
      if (help) help.open = !help.open;
      event.preventDefault();
      return;
    }
    var keys = document.body.classList.contains("reply-pane") ? pane : list;
    // Enter opens the current row only when nothing else has the focus (a link, a button)
    if (event.key === "Enter" && (current < 0 || event.target !== document.body)) return;
    var action = keys[event.key];
    if (action && action()) event.preventDefault();
  }

  document.addEventListener("DOMContentLoaded", function () {
    rows = Array.prototype.slice.call(document.querySelectorAll("#result_list tbody tr"));
    document.addEventListener("keydown", onKey);
  });
})();
