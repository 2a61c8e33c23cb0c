"""Pages of the store, by sub-domain. Thin: parse input, call selectors/services/search, render.

Every list a visitor sees comes from `tool_selectors.tools_listed()`; one tool comes from
`tool_selectors.tools_visible_to(user)`. Partial templates (names starting with `_`) answer
htmx requests; the same URLs work without JavaScript through plain form posts.

Domain errors are `core.errors.ApplicationError`s. A view that has a form to show again
puts the error on it with `form_add_error`; an action without one (a vote, a report that
cannot be filed) shows the error's message on the page it returns to. `store.urls` maps
the URLs onto the modules here.
"""
